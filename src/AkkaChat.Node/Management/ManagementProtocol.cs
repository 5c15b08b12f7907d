using System.Text.Json;
using System.Text.Json.Serialization;

namespace AkkaChat.Node.Management;

/// <summary>
/// The management wire protocol: one JSON object per line (UTF-8, '\n'), over TCP.
/// <code>
/// host → client  {"type":"hello","node":..,"address":..,"version":1,"auth":bool,"palettes":[..]}   on connect
/// client → host  {"type":"request","id":N,"token":..,"command":["cluster","show"]}
/// host → client  {"type":"line","id":N,"text":..}        zero or more, streamed
/// host → client  {"type":"end","id":N,"ok":bool,"error":..}
/// client → host  {"type":"cancel","id":N}                stops a streaming command (tail)
/// </code>
/// Requests on one connection run one at a time. A wrong token ends the request with
/// ok=false and the host closes the connection. Lines longer than <see cref="MaxLineBytes"/> are refused.
/// </summary>
public static class ManagementProtocol
{
    public const int Version = 1;
    public const int MaxLineBytes = 64 * 1024;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

public sealed record HelloMessage(string Node, string Address, int Version, bool Auth, IReadOnlyList<PaletteSpec> Palettes)
{
    public string Type => "hello";
}

public sealed record LineMessage(long Id, string Text)
{
    public string Type => "line";
}

public sealed record EndMessage(long Id, bool Ok, string? Error)
{
    public string Type => "end";
}

/// <summary>What a client sends: a request (with its command words) or a cancel.</summary>
public sealed record ClientMessage(string Type, long Id, string? Token, IReadOnlyList<string>? Command);

public sealed record PaletteSpec(string Name, string Description, IReadOnlyList<CommandSpec> Commands);

/// <summary>
/// One command of a palette: positional arguments (all required) and options that take a value.
/// <c>Streaming</c> commands run until the client cancels.
/// </summary>
public sealed record CommandSpec(string Name, string Description, IReadOnlyList<string> Arguments, IReadOnlyList<OptionSpec> Options, bool Streaming = false);

public sealed record OptionSpec(string Name, string Value, string Description);
