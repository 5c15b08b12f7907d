using Akka.Actor;
using AkkaChat.Node.Configuration;
using AkkaChat.Protocol;
using Google.Protobuf;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Modules;

/// <summary>
/// What a frame handler sees of the client connection whose frame it handles. Handlers run inside
/// the connection's actor, one frame at a time, and must not block: they answer at once, or tell a
/// module actor, passing <see cref="Self"/> as the sender. Whatever server-to-client message a
/// module actor sends back to <see cref="Self"/> is written to the client as its frame (any type of
/// the codec table), while the client is logged in.
/// </summary>
public interface IConnection
{
    /// <summary>The connection actor: the sender to give module actors, so their answers reach this client.</summary>
    IActorRef Self { get; }

    /// <summary>The logged-in user's E.164 number; null before login.</summary>
    string? Phone { get; }

    /// <summary>The client's IP address (without the port), as the socket names it.</summary>
    string SourceAddress { get; }

    /// <summary>The hot-reloadable settings, as they are now.</summary>
    RuntimeSettings Runtime { get; }

    /// <summary>Writes one server-to-client frame.</summary>
    void Write(IMessage message);

    /// <summary>
    /// Answers with ERROR; a code after which the protocol closes the connection
    /// (<see cref="ProtocolRules.ClosesConnection"/>) also closes it.
    /// </summary>
    void Reply(ProtocolError error);

    /// <summary>
    /// Takes one SEND from the per-user rate budget (<c>akkachat.rate-limit</c>); false, and nothing
    /// taken, when it is spent.
    /// </summary>
    bool TryTakeSendBudget();

    /// <summary>
    /// A SEND with <paramref name="clientMsgId"/> was handed on: its SEND_ACK or ERROR (ref =
    /// client_msg_id) is owed. If none is written within akkachat.connection.send-answer-timeout,
    /// the connection answers ERROR{OVERLOADED, ref=client_msg_id} itself and stays open.
    /// </summary>
    void AwaitAnswer(string clientMsgId);

    /// <summary>
    /// Starts a login: tells <paramref name="command"/> to <paramref name="target"/> (with this
    /// connection as the sender) and waits, holding later frames, for AUTH_OK or an ERROR; then the
    /// connection is logged in as <paramref name="phone"/>, or answers the error. Before login only.
    /// </summary>
    void BeginLogin(string phone, IActorRef target, object command);

    /// <summary>
    /// Waits for <paramref name="task"/> (a directory lookup, say) without blocking: the client's
    /// next frames are held, in order and bounded by the receive window, until it completes; then
    /// <paramref name="onResult"/> or <paramref name="onFailure"/> runs inside the connection, as a
    /// handler would, and the held frames are handled. One wait at a time.
    /// </summary>
    void Await<T>(Task<T> task, Action<T> onResult, Action<Exception> onFailure);
}
