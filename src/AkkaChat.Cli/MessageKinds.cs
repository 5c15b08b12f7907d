using AkkaChat.Protocol;

namespace AkkaChat.Cli;

/// <summary>How the CLI names a message's or status's kind: <c>voice message</c> for AUDIO (PROTOCOL.md: AUDIO is a voice message), the kind's name otherwise.</summary>
public static class MessageKinds
{
    public static string Name(MessageKind kind) => kind switch
    {
        MessageKind.Audio => "voice message",
        _ when Enum.IsDefined(kind) => kind.ToString().ToLowerInvariant(),
        _ => $"kind {(uint)kind}",
    };

    /// <summary>
    /// What a non-text message shows in place of its text: its kind, its media id, and its caption if
    /// it has one, e.g. <c>(image 0193…) a cat</c>; a text message is its text.
    /// </summary>
    public static string Describe(MessageKind kind, string mediaId, string text) =>
        kind == MessageKind.Text
            ? text
            : $"({Name(kind)}{(mediaId.Length > 0 ? " " + mediaId : string.Empty)}){(text.Length > 0 ? " " + text : string.Empty)}";
}
