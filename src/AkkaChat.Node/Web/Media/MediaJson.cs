using System.Text.Json.Serialization;

namespace AkkaChat.Node.Web.Media;

/// <summary>The answer to POST /v1/media.</summary>
public sealed record UploadAnswer(
    [property: JsonPropertyName("media_id")] string MediaId,
    [property: JsonPropertyName("expires_at_ms")] long ExpiresAtMs);

/// <summary>The body of a 401 or 413, for people reading it.</summary>
public sealed record ErrorAnswer([property: JsonPropertyName("error")] string Error);

[JsonSerializable(typeof(UploadAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
[JsonSerializable(typeof(MediaInfo))]
internal sealed partial class MediaJson : JsonSerializerContext;
