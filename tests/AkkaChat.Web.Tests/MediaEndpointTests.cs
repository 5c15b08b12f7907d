using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using AkkaChat.Node.Web.Media;
using AkkaChat.TestKit;

namespace AkkaChat.Web.Tests;

/// <summary>POST /v1/media and GET /v1/media/{id} on a real node process (max-bytes 1 MiB here).</summary>
[Trait("Category", "Slow")]
public sealed class MediaEndpointTests(WebNodeFixture fixture) : IClassFixture<WebNodeFixture>
{
    private HttpClient Http => fixture.Http;

    [Fact]
    public async Task An_uploaded_medium_downloads_with_its_bytes_and_content_type()
    {
        var auth = await RegisterAsync();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var uploaded = await UploadAsync(auth, bytes, "image/jpeg");
        Assert.True(MediaIds.IsValid(uploaded.MediaId), uploaded.MediaId);
        Assert.InRange(uploaded.ExpiresAtMs, before + (long)TimeSpan.FromDays(30).TotalMilliseconds - 1000, before + (long)TimeSpan.FromDays(30).TotalMilliseconds + 60_000);

        // Another registered user fetches it, as the recipient of a message naming it would.
        using var get = Request(HttpMethod.Get, $"v1/media/{uploaded.MediaId}", await RegisterAsync());
        using var answer = await Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("image/jpeg", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal(bytes, await answer.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_range_request_gets_206_with_exactly_the_requested_bytes()
    {
        var auth = await RegisterAsync();
        var bytes = RandomNumberGenerator.GetBytes(600_000);
        var uploaded = await UploadAsync(auth, bytes, "audio/webm");

        using var get = Request(HttpMethod.Get, $"v1/media/{uploaded.MediaId}", auth);
        get.Headers.Range = new RangeHeaderValue(300_000, 300_999);
        using var answer = await Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.PartialContent, answer.StatusCode);
        Assert.Equal("bytes 300000-300999/600000", answer.Content.Headers.ContentRange?.ToString());
        Assert.Equal(bytes.AsSpan(300_000, 1000).ToArray(), await answer.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic abc")]
    [InlineData("Bearer +15550000000:AAAA")]
    [InlineData("Bearer not-a-phone")]
    public async Task An_upload_without_a_valid_device_token_gets_401(string? authorization)
    {
        using var post = new HttpRequestMessage(HttpMethod.Post, "v1/media") { Content = new ByteArrayContent([1, 2, 3]) };
        if (authorization is not null)
        {
            post.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var answer = await Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Contains("Bearer", answer.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_download_with_a_wrong_token_gets_401_even_for_an_existing_medium()
    {
        var auth = await RegisterAsync();
        var uploaded = await UploadAsync(auth, [1, 2, 3], "image/png");
        var wrong = BearerCredentials.Format(auth.Phone, RandomNumberGenerator.GetBytes(32));

        using var get = new HttpRequestMessage(HttpMethod.Get, $"v1/media/{uploaded.MediaId}");
        get.Headers.TryAddWithoutValidation("Authorization", wrong);
        using var answer = await Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
    }

    [Fact]
    public async Task An_unknown_media_id_gets_404()
    {
        using var get = Request(HttpMethod.Get, $"v1/media/{MediaIds.New()}", await RegisterAsync());
        using var answer = await Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    [Fact]
    public async Task An_upload_declaring_more_than_max_bytes_gets_413()
    {
        using var post = Request(HttpMethod.Post, "v1/media", await RegisterAsync());
        post.Content = new ByteArrayContent(new byte[(1 << 20) + 1]);
        using var answer = await Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
    }

    [Fact]
    public async Task A_chunked_upload_growing_past_max_bytes_gets_413_and_stores_nothing()
    {
        var auth = await RegisterAsync();
        using var post = Request(HttpMethod.Post, "v1/media", auth);
        post.Content = new StreamContent(new MemoryStream(new byte[(1 << 20) + 4096])); // no Content-Length: chunked
        post.Headers.TransferEncodingChunked = true;
        using var answer = await Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
        var mediaDir = Path.Combine(fixture.Node.DataDir, "data", "media");
        Assert.Empty(Directory.GetFiles(mediaDir, "*.part"));
        Assert.DoesNotContain(Directory.GetFiles(mediaDir), f => new FileInfo(f).Length > 1 << 20);
    }

    private async Task<Auth> RegisterAsync()
    {
        var phone = TestPhones.New();
        await using var client = await fixture.Node.ConnectAsync();
        var ok = await client.RegisterAsync(phone);
        return new Auth(phone, BearerCredentials.Format(phone, ok.Token.Span));
    }

    private async Task<Uploaded> UploadAsync(Auth auth, byte[] bytes, string contentType)
    {
        using var post = Request(HttpMethod.Post, "v1/media", auth);
        post.Content = new ByteArrayContent(bytes);
        post.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var answer = await Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return (await answer.Content.ReadFromJsonAsync<Uploaded>())!;
    }

    internal static HttpRequestMessage Request(HttpMethod method, string path, Auth auth)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("Authorization", auth.Header);
        return request;
    }

    internal sealed record Auth(string Phone, string Header);

    internal sealed record Uploaded([property: JsonPropertyName("media_id")] string MediaId, [property: JsonPropertyName("expires_at_ms")] long ExpiresAtMs);
}

/// <summary>A node whose media expire after 2 s and are swept every second.</summary>
public sealed class ShortLivedMediaNodeFixture : WebNodeFixture
{
    protected override string NodeConfig => Config + """

        akkachat.media.max-age = 2s
        akkachat.media.sweep-interval = 1s
        """;
}

[Trait("Category", "Slow")]
public sealed class MediaExpiryTests(ShortLivedMediaNodeFixture fixture) : IClassFixture<ShortLivedMediaNodeFixture>
{
    [Fact]
    public async Task A_medium_is_served_until_max_age_then_404_and_its_file_is_swept()
    {
        var phone = TestPhones.New();
        await using var client = await fixture.Node.ConnectAsync();
        var ok = await client.RegisterAsync(phone);
        var auth = new MediaEndpointTests.Auth(phone, BearerCredentials.Format(phone, ok.Token.Span));

        using var post = MediaEndpointTests.Request(HttpMethod.Post, "v1/media", auth);
        post.Content = new ByteArrayContent([7, 7, 7]);
        using var posted = await fixture.Http.SendAsync(post);
        var uploaded = (await posted.Content.ReadFromJsonAsync<MediaEndpointTests.Uploaded>())!;
        using (var get = MediaEndpointTests.Request(HttpMethod.Get, $"v1/media/{uploaded.MediaId}", auth))
        using (var first = await fixture.Http.SendAsync(get))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var file = Path.Combine(fixture.Node.DataDir, "data", "media", uploaded.MediaId + ".bin");
        Assert.True(File.Exists(file));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200); // polling interval while awaiting the expiry, bounded by the deadline
            using var get = MediaEndpointTests.Request(HttpMethod.Get, $"v1/media/{uploaded.MediaId}", auth);
            using var answer = await fixture.Http.SendAsync(get);
            status = answer.StatusCode;
        }
        while ((status != HttpStatusCode.NotFound || File.Exists(file)) && DateTime.UtcNow < until);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.False(File.Exists(file), "the sweeper did not delete the expired medium's file");
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() >= uploaded.ExpiresAtMs);
    }
}
