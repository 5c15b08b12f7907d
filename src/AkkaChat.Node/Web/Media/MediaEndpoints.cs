using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using AkkaChat.Node.Web;

namespace AkkaChat.Node.Web.Media;

/// <summary>
/// <c>POST /v1/media</c> and <c>GET /v1/media/{id}</c>, per ../shared/PROTOCOL.md "Media". Both need
/// <c>Authorization: Bearer PHONE:BASE64TOKEN</c> of a registered device (401 otherwise). Any
/// registered user may fetch any medium by its id: ids are 128 random bits, handed out only inside
/// messages, and the bytes are the clients' ciphertext.
/// </summary>
internal static class MediaEndpoints
{
    public static void MapMedia(this IEndpointRouteBuilder app, IMediaStore store, IMediaAuthorizer authorizer, WebSettings settings, WebMetrics metrics)
    {
        app.MapPost("/v1/media", async context => await (await UploadAsync(context, store, authorizer, settings, metrics)).ExecuteAsync(context));
        app.MapGet("/v1/media/{id}", async context =>
            await (await DownloadAsync(context, (string)context.Request.RouteValues["id"]!, store, authorizer)).ExecuteAsync(context));
    }

    private static async Task<IResult> UploadAsync(HttpContext context, IMediaStore store, IMediaAuthorizer authorizer, WebSettings settings, WebMetrics metrics)
    {
        var phone = await AuthenticateAsync(context, authorizer);
        if (phone is null)
        {
            metrics.MediaUploads.WithLabels("unauthorized").Inc();
            return Unauthorized(context);
        }

        if (context.Request.ContentLength > settings.MediaMaxBytes)
        {
            metrics.MediaUploads.WithLabels("too_large").Inc();
            return TooLarge(settings.MediaMaxBytes);
        }

        var declared = context.Request.ContentType;
        var contentType = declared is { Length: > 0 and <= 200 } && MediaTypeHeaderValue.TryParse(declared, out _)
            ? declared
            : "application/octet-stream";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var media = new NewMedia(MediaIds.New(), phone, contentType, now, now + (long)settings.MediaMaxAge.TotalMilliseconds);
        try
        {
            var stored = await store.SaveAsync(media, context.Request.Body, settings.MediaMaxBytes, context.RequestAborted);
            metrics.MediaUploads.WithLabels("stored").Inc();
            metrics.MediaUploadedBytes.Inc(stored.Length);
            return Results.Json(new UploadAnswer(stored.Id, stored.ExpiresAtMs), MediaJson.Default.UploadAnswer);
        }
        catch (MediaTooLargeException)
        {
            metrics.MediaUploads.WithLabels("too_large").Inc();
            return TooLarge(settings.MediaMaxBytes);
        }
    }

    private static async Task<IResult> DownloadAsync(HttpContext context, string id, IMediaStore store, IMediaAuthorizer authorizer)
    {
        if (await AuthenticateAsync(context, authorizer) is null)
        {
            return Unauthorized(context);
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var media = await store.FindAsync(id, now, context.RequestAborted);
        if (media is null)
        {
            return Results.NotFound();
        }

        // Immutable while it lives: the id names one upload forever. Private: it needs the header.
        context.Response.Headers.CacheControl = $"private, max-age={Math.Max(0, (media.ExpiresAtMs - now) / 1000)}, immutable";
        var stream = await store.OpenReadAsync(media, context.RequestAborted);
        return Results.Stream(stream, media.ContentType, enableRangeProcessing: true, entityTag: new EntityTagHeaderValue($"\"{media.Id}\""));
    }

    private static Task<string?> AuthenticateAsync(HttpContext context, IMediaAuthorizer authorizer) =>
        BearerCredentials.TryParse(context.Request.Headers.Authorization.ToString(), out var phone, out var token)
            ? authorizer.IsAuthorizedAsync(phone, token, context.RequestAborted).ContinueWith(t => t.Result ? phone : null, TaskScheduler.Default)
            : Task.FromResult<string?>(null);

    private static IResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"akkachat\"";
        return Results.Json(new ErrorAnswer("a registered phone and device token are required: Authorization: Bearer PHONE:BASE64TOKEN"),
            MediaJson.Default.ErrorAnswer, statusCode: StatusCodes.Status401Unauthorized);
    }

    private static IResult TooLarge(long maxBytes) =>
        Results.Json(new ErrorAnswer($"media are at most {maxBytes} bytes"), MediaJson.Default.ErrorAnswer, statusCode: StatusCodes.Status413PayloadTooLarge);
}

/// <summary>The header value <c>Bearer PHONE:BASE64TOKEN</c>.</summary>
public static class BearerCredentials
{
    public static bool TryParse(string header, out string phone, out byte[] token)
    {
        phone = string.Empty;
        token = [];
        if (!System.Net.Http.Headers.AuthenticationHeaderValue.TryParse(header, out var value)
            || !"Bearer".Equals(value.Scheme, StringComparison.OrdinalIgnoreCase) || value.Parameter is not { } parameter)
        {
            return false;
        }

        var colon = parameter.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        phone = parameter[..colon];
        try
        {
            token = Convert.FromBase64String(parameter[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return false;
        }

        return token.Length > 0 && Protocol.PhoneNumber.IsValid(phone);
    }

    public static string Format(string phone, ReadOnlySpan<byte> token) => $"Bearer {phone}:{Convert.ToBase64String(token)}";
}
