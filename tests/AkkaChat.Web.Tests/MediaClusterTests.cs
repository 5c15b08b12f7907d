using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using AkkaChat.Node.Web.Media;
using AkkaChat.TestKit;

namespace AkkaChat.Web.Tests;

/// <summary>Media in a cluster of node processes: the PostgreSQL store, shared by every node.</summary>
[Trait("Category", "Slow")]
public sealed class MediaClusterTests
{
    [Fact]
    public async Task A_medium_uploaded_to_one_node_is_served_by_another()
    {
        await using var cluster = await ProcessCluster.StartAsync(2);
        var (first, second) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var http1 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{first.WebPort}/") };
        using var http2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{second.WebPort}/") };
        await WebNodeFixture.WaitForWebPortAsync(first, http1);
        await WebNodeFixture.WaitForWebPortAsync(second, http2);

        var phone = TestPhones.New();
        await using var client = await first.ConnectAsync();
        var ok = await client.RegisterAsync(phone);
        var auth = new MediaEndpointTests.Auth(phone, BearerCredentials.Format(phone, ok.Token.Span));
        var bytes = RandomNumberGenerator.GetBytes(700_000); // several 256 KiB chunks

        using var post = MediaEndpointTests.Request(HttpMethod.Post, "v1/media", auth);
        post.Content = new ByteArrayContent(bytes);
        using var posted = await http1.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var uploaded = (await posted.Content.ReadFromJsonAsync<MediaEndpointTests.Uploaded>())!;

        using var get = MediaEndpointTests.Request(HttpMethod.Get, $"v1/media/{uploaded.MediaId}", auth);
        using var answer = await http2.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(bytes, await answer.Content.ReadAsByteArrayAsync());
    }
}
