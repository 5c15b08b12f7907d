using AkkaChat.TestKit;

namespace AkkaChat.EndToEnd.Tests;

public static class NodeProcessExtensions
{
    public static Task<TestClient> ConnectAsync(this NodeProcess node) => TestClient.ConnectAsync(node.Port);
}
