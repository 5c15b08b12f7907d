namespace AkkaChat.Node.Contracts;

/// <summary>
/// Told after a user actor's recovery to the connection of the latest login, which may have closed
/// since: a closed one is not worth a dead-letter log line.
/// </summary>
public sealed partial class WakeSession : Akka.Event.IDeadLetterSuppression
{
}
