using System.Globalization;
using System.Text;

namespace AkkaChat.Bench.Reporting;

/// <summary>
/// The soak's plot, written as SVG by hand (no plotting package): two panels over the run's time,
/// the node's memory (RSS and managed heap, MiB) above and the interval's send -> DELIVER p99 (ms)
/// below, each a polyline per series with axes, ticks and labels.
/// </summary>
public static class SoakPlot
{
    private const int Width = 900;
    private const int PanelHeight = 220;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 40;
    private const int Gap = 60;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Svg(IReadOnlyList<SoakSample> samples, string title)
    {
        var height = Top + 2 * PanelHeight + Gap + 40;
        var svg = new StringBuilder();
        svg.AppendLine(Invariant, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(Invariant, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(Invariant, $"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        var timeStep = TimeStep(samples.Count == 0 ? 1 : samples.Max(s => s.AtSeconds));
        var maxSeconds = timeStep * Math.Max(1, Math.Ceiling((samples.Count == 0 ? 1 : samples.Max(s => s.AtSeconds)) / timeStep));
        var mib = 1024.0 * 1024;
        Panel(svg, Top, "memory (MiB)", maxSeconds,
        [
            ("RSS", "#1f77b4", samples.Where(s => s.RssBytes is not null).Select(s => (s.AtSeconds, s.RssBytes!.Value / mib)).ToList()),
            ("managed heap after a full GC", "#2ca02c", samples.Where(s => s.HeapBytes is not null).Select(s => (s.AtSeconds, s.HeapBytes!.Value / mib)).ToList()),
        ]);
        Panel(svg, Top + PanelHeight + Gap, "send -> DELIVER p99 of the interval (ms)", maxSeconds,
        [
            ("p99", "#d62728", samples.Where(s => s.P99Ms is not null).Select(s => (s.AtSeconds, s.P99Ms!.Value)).ToList()),
        ]);
        svg.AppendLine(Invariant, $"<text x=\"{Left + (Width - Left - Right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">time since the start of the soak (s)</text>");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int top, string label, double maxSeconds, IReadOnlyList<(string Name, string Color, List<(double X, double Y)> Points)> series)
    {
        var plotWidth = Width - Left - Right;
        var bottom = top + PanelHeight;
        var maxY = NiceCeiling(series.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max());
        double X(double seconds) => Left + seconds / maxSeconds * plotWidth;
        double Y(double value) => bottom - value / maxY * PanelHeight;

        // axes, then ticks with grid lines and labels
        svg.AppendLine(Invariant, $"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{Left + plotWidth}\" y2=\"{bottom}\" stroke=\"black\"/>");
        svg.AppendLine(Invariant, $"<line x1=\"{Left}\" y1=\"{top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"black\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var value = maxY * i / 4;
            var y = Y(value);
            svg.AppendLine(Invariant, $"<line x1=\"{Left - 4}\" y1=\"{y:0.#}\" x2=\"{Left + plotWidth}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>");
            svg.AppendLine(Invariant, $"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Format(value)}</text>");
        }

        var ticks = (int)Math.Round(maxSeconds / TimeStep(maxSeconds));
        for (var i = 0; i <= ticks; i++)
        {
            var seconds = maxSeconds * i / ticks;
            var x = X(seconds);
            svg.AppendLine(Invariant, $"<line x1=\"{x:0.#}\" y1=\"{bottom}\" x2=\"{x:0.#}\" y2=\"{bottom + 4}\" stroke=\"black\"/>");
            svg.AppendLine(Invariant, $"<text x=\"{x:0.#}\" y=\"{bottom + 17}\" text-anchor=\"middle\">{Format(seconds)}</text>");
        }

        svg.AppendLine(Invariant, $"<text x=\"{Left}\" y=\"{top - 8}\">{Escape(label)}</text>");
        var legendX = Left + plotWidth;
        foreach (var (name, color, points) in series.Reverse())
        {
            svg.AppendLine(Invariant, $"<text x=\"{legendX}\" y=\"{top - 8}\" text-anchor=\"end\" fill=\"{color}\">{Escape(name)}</text>");
            legendX -= 10 + 7 * name.Length;
            if (points.Count == 0)
            {
                continue;
            }

            var coordinates = string.Join(" ", points.Select(p => string.Create(Invariant, $"{X(p.X):0.#},{Y(p.Y):0.#}")));
            svg.AppendLine(Invariant, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{coordinates}\"/>");
            foreach (var (px, py) in points.Count <= 60 ? points : [])
            {
                svg.AppendLine(Invariant, $"<circle cx=\"{X(px):0.#}\" cy=\"{Y(py):0.#}\" r=\"2.5\" fill=\"{color}\"/>");
            }
        }
    }

    /// <summary>A round step of the time axis (1 s to 1 h) giving at most 10 ticks up to <paramref name="seconds"/>.</summary>
    private static double TimeStep(double seconds)
    {
        foreach (var step in new double[] { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600 })
        {
            if (seconds / step <= 10)
            {
                return step;
            }
        }

        return 3600 * Math.Ceiling(seconds / 36000);
    }

    /// <summary>The smallest 1, 2 or 5 times a power of ten at or above <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2.0, 5.0, 10.0 })
        {
            if (step * power >= value)
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    private static string Format(double value) => value.ToString(value >= 100 || value == Math.Floor(value) ? "0" : "0.##", Invariant);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
