using Akka.Actor;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Users;
using Google.Protobuf;

namespace AkkaChat.Node.Sessions;

/// <summary>
/// The sessions part of a user entity: which connection is the user's one session. It journals
/// nothing of its own (the latest login is the registration part's SessionLoggedIn); its rules
/// decide from that and from the session the actor holds.
/// </summary>
public static class SessionRules
{
    /// <summary>
    /// A connection (<paramref name="candidate"/>) asks to be attached again after the user actor
    /// moved, restarted or passivated. When the journal names the latest login
    /// (<paramref name="latestSession"/>), only that connection resumes, whatever its clock said; in a
    /// journal of an older node without SessionLoggedIn, the later login time wins. A refused one is
    /// told SESSION_REPLACED; an accepted one replaces a stale attached session and is attached.
    /// </summary>
    public static Decision DecideResume(string phone, string latestSession, IActorRef? attached, long attachedLoggedInAtMs, IActorRef candidate, long candidateLoggedInAtMs)
    {
        if (latestSession.Length > 0)
        {
            if (!IsLatestLogin(latestSession, candidate))
            {
                return Decision.Only(new ReplyNow(new SessionReplaced { Phone = phone }));
            }
        }
        else if (attached is not null && !attached.Equals(candidate) && candidateLoggedInAtMs <= attachedLoggedInAtMs)
        {
            return Decision.Only(new ReplyNow(new SessionReplaced { Phone = phone })); // a journal of an older node: by login time
        }

        // The attached session, when another, is not the latest login: it is the stale one.
        return attached is not null && !attached.Equals(candidate)
            ? Decision.Only(new ReplaceSession(attached), new AttachResumed(candidateLoggedInAtMs))
            : Decision.Only(new AttachResumed(candidateLoggedInAtMs));
    }

    /// <summary>
    /// Whether <paramref name="connection"/> is the one <paramref name="latestSession"/> names: same
    /// path and uid. The address is left out, since a ref to the same actor reads with the node's
    /// address when local and with the remote address otherwise; a uid is random per actor.
    /// </summary>
    public static bool IsLatestLogin(string latestSession, IActorRef connection) =>
        ActorPath.TryParse(latestSession, out var latest)
        && latest.Uid == connection.Path.Uid
        && latest.Elements.SequenceEqual(connection.Path.Elements);
}

/// <summary>Once the login is durable: attach the sender as the session (replacing another) and answer AUTH_OK with <paramref name="Token"/> (empty for a login by token).</summary>
public sealed record AttachSession(ByteString Token) : Effect;

/// <summary>Once the device token is durable: log the sender in (<see cref="Registration.RegistrationState.DecideSession"/>) with <paramref name="Token"/> in its AUTH_OK.</summary>
public sealed record StartSession(ByteString Token) : Effect;

/// <summary>Tell <paramref name="Session"/> it was replaced and stop following it.</summary>
public sealed record ReplaceSession(IActorRef Session) : Effect;

/// <summary>Attach the sender as the session again (it logged in at <paramref name="LoggedInAtMs"/>), answer SESSION_RESUMED and push from the oldest unacknowledged item.</summary>
public sealed record AttachResumed(long LoggedInAtMs) : Effect;
