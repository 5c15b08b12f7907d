using System.Xml.Linq;

namespace AkkaChat.Conformance;

/// <summary>JUnit XML for CI: one testsuite, one testcase per check (classname = area).</summary>
public static class JUnitReport
{
    public static XDocument Build(IReadOnlyCollection<CheckResult> results, string target)
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", $"akkachat-conformance {target}"),
            new XAttribute("tests", results.Count),
            new XAttribute("failures", results.Count(r => r.Verdict == Verdict.Failed)),
            new XAttribute("errors", 0),
            new XAttribute("skipped", results.Count(r => r.Verdict == Verdict.Skipped)),
            new XAttribute("time", Seconds(results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Elapsed))));
        foreach (var r in results)
        {
            var testcase = new XElement("testcase",
                new XAttribute("classname", r.Check.Area),
                new XAttribute("name", r.Check.Name),
                new XAttribute("time", Seconds(r.Elapsed)),
                new XElement("system-out", r.Check.Rule + (r.Verdict == Verdict.Passed && r.Detail is not null ? $" [{r.Detail}]" : "")));
            if (r.Verdict == Verdict.Failed)
            {
                testcase.Add(new XElement("failure", new XAttribute("message", r.Detail ?? ""), r.Check.Rule));
            }
            else if (r.Verdict == Verdict.Skipped)
            {
                testcase.Add(new XElement("skipped", new XAttribute("message", r.Detail ?? "")));
            }

            suite.Add(testcase);
        }

        return new XDocument(new XElement("testsuites", suite));
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}
