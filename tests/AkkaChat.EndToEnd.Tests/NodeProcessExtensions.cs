using AkkaChat.TestKit;

namespace AkkaChat.EndToEnd.Tests;

public static class NodeProcessExtensions
{
    public static Task<ProtocolClient> ConnectAsync(this NodeProcess node) => ProtocolClient.ConnectAsync(node.Port);
}
