using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AkkaChat.Protocol;

namespace AkkaChat.Cli;

/// <summary>
/// <c>akkachat send --file</c>: uploads a file to the node's media endpoint (POST /v1/media on its
/// web port, PROTOCOL.md "Media") streamed from disk, and names the kind of message that carries it
/// from the file's extension.
/// </summary>
public static class MediaUpload
{
    /// <summary>The node's web port unless --web says otherwise (akkachat.web.port's default).</summary>
    public const int DefaultWebPort = 4780;

    /// <summary>The web port of the node at <paramref name="server"/>: same host, port 4780.</summary>
    public static Uri DefaultWebAddress(ServerAddress server) => new($"http://{(server.Host.Contains(':') ? $"[{server.Host}]" : server.Host)}:{DefaultWebPort}/");

    /// <summary>Uploads <paramref name="file"/>; answers its media_id. Failures are CliExceptions naming the cause.</summary>
    public static async Task<string> UploadAsync(Uri web, string phone, byte[] token, string file, string contentType, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = web, Timeout = Timeout.InfiniteTimeSpan };
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Headers.ContentLength = stream.Length;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/media") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"{phone}:{Convert.ToBase64String(token)}");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot upload to {web}: {e.Message} (the node's web port; --web URL names another)");
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    using (var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)))
                    {
                        return json.RootElement.GetProperty("media_id").GetString()
                            ?? throw new CliException($"{web} answered the upload without a media_id");
                    }

                case HttpStatusCode.RequestEntityTooLarge:
                    throw new CliException($"too large: {Path.GetFileName(file)} is {new FileInfo(file).Length:N0} bytes, over the node's media limit (akkachat.media.max-bytes)");
                case HttpStatusCode.Unauthorized:
                    throw new CliException($"the node at {web} refused this user's device token for the upload (register again?)");
                default:
                    throw new CliException($"the upload to {web} failed: {(int)response.StatusCode} {response.ReasonPhrase}");
            }
        }
    }

    /// <summary>The content type and message kind of a file, from its extension; anything unknown is a document.</summary>
    public static (string ContentType, MessageKind Kind) Classify(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => ("image/jpeg", MessageKind.Image),
        ".png" => ("image/png", MessageKind.Image),
        ".gif" => ("image/gif", MessageKind.Image),
        ".webp" => ("image/webp", MessageKind.Image),
        ".ogg" or ".opus" => ("audio/ogg", MessageKind.Audio),
        ".mp3" => ("audio/mpeg", MessageKind.Audio),
        ".m4a" => ("audio/mp4", MessageKind.Audio),
        ".wav" => ("audio/wav", MessageKind.Audio),
        ".webm" => ("video/webm", MessageKind.Video),
        ".mp4" => ("video/mp4", MessageKind.Video),
        ".pdf" => ("application/pdf", MessageKind.Document),
        _ => ("application/octet-stream", MessageKind.Document),
    };
}
