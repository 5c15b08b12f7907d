using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaChat.Pbm;

/// <summary>
/// The management protocol as the CLI sees it (docs/management.md): one JSON object per line.
/// The host sends hello on connect, then line* and end for each request; the CLI sends request and cancel.
/// </summary>
internal static class Wire
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>Any message from the host; which fields are set depends on <see cref="Type"/>.</summary>
internal sealed record HostMessage(
    string Type,
    long Id,
    string? Text,
    bool Ok,
    string? Error,
    string? Node,
    string? Address,
    int Version,
    bool Auth,
    IReadOnlyList<Palette>? Palettes);

internal sealed record Palette(string Name, string Description, IReadOnlyList<PaletteCommand> Commands);

internal sealed record PaletteCommand(string Name, string Description, IReadOnlyList<string> Arguments, IReadOnlyList<PaletteOption> Options, bool Streaming);

internal sealed record PaletteOption(string Name, string Value, string Description);

internal sealed record Request(string Type, long Id, string? Token, IReadOnlyList<string>? Command);
