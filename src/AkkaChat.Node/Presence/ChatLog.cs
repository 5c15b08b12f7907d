namespace AkkaChat.Node.Presence;

/// <summary>
/// The node's chat recorder (registry key; the actor is <c>Internal.ChatRecorder</c>, named
/// <c>presence-chats</c>): tell it <see cref="ChatSeen"/> when a user sends another a message, and
/// the pair counts as "has a chat with" for presence (docs/presence.md).
/// </summary>
public sealed class ChatLog;

/// <summary>
/// <paramref name="A"/> sent <paramref name="B"/> a message the node accepted (B is registered).
/// Local to a node, never serialized: each node records the chats of the SENDs it receives.
/// </summary>
public sealed record ChatSeen(string A, string B);
