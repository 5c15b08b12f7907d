using AkkaChat.Bench.Load;

namespace AkkaChat.Bench.Features;

/// <summary>The feature scenarios, run by the coordinator with every connection in its own process.</summary>
public static class FeatureScenarios
{
    public static Task RunAsync(FeatureRun run) => run.Options.Scenario switch
    {
        ScenarioKind.GroupFanout => GroupFanoutScenario.RunAsync(run),
        ScenarioKind.PresenceStorm => PresenceStormScenario.RunAsync(run),
        ScenarioKind.StatusFanout => StatusFanoutScenario.RunAsync(run),
        ScenarioKind.Media => MediaScenario.RunAsync(run),
        ScenarioKind.Fuzz => FuzzScenario.RunAsync(run),
        ScenarioKind.Soak => SoakScenario.RunAsync(run),
        _ => throw new ArgumentOutOfRangeException(nameof(run), run.Options.Scenario, "not a feature scenario"),
    };
}
