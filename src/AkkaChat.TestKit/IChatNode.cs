namespace AkkaChat.TestKit;

/// <summary>A node clients can connect to: in-process (<see cref="ClusterNode"/>) or a process (<see cref="NodeProcess"/>).</summary>
public interface IChatNode
{
    string Name { get; }

    /// <summary>The protocol (TCP) port.</summary>
    int Port { get; }

    bool IsRunning { get; }

    Task<ProtocolClient> ConnectAsync();
}

/// <summary>A set of nodes: a <see cref="ChatCluster"/> or a <see cref="ProcessCluster"/>.</summary>
public interface IChatNodes
{
    /// <summary>The nodes running now.</summary>
    IEnumerable<IChatNode> RunningNodes { get; }

    /// <summary>What every node saw, for the message of a failed assertion.</summary>
    string Report(int logLines = 40);
}
