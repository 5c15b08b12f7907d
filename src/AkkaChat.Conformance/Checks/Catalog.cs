namespace AkkaChat.Conformance.Checks;

/// <summary>Every check of the kit, in the order of PROTOCOL.md's sections.</summary>
public static class Catalog
{
    public static IReadOnlyList<Check> All { get; } =
        FramingChecks.All()
            .Concat(ErrorChecks.All())
            .Concat(LoginChecks.All())
            .Concat(MessagingChecks.All())
            .Concat(DeliveryChecks.All())
            .Concat(SocialChecks.All())
            .Concat(GroupChecks.All())
            .Concat(TransportChecks.All())
            .ToArray();

    /// <summary>The areas, in the order their checks run.</summary>
    public static IReadOnlyList<string> Areas { get; } = All.Select(c => c.Area).Distinct().ToArray();

    /// <summary>The checks of <paramref name="areas"/> (all when empty); unknown area names are an error.</summary>
    public static IReadOnlyList<Check> Select(IReadOnlyCollection<string> areas)
    {
        var unknown = areas.Where(a => !Areas.Contains(a)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"unknown area {string.Join(", ", unknown)}; areas are {string.Join(", ", Areas)}");
        }

        return areas.Count == 0 ? All : All.Where(c => areas.Contains(c.Area)).ToArray();
    }
}
