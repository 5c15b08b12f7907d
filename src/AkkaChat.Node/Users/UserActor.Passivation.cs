using Akka.Actor;
using Akka.Event;
using AkkaChat.Node.Contracts;

namespace AkkaChat.Node.Users;

/// <summary>
/// Passivation while a session is logged in and idle (akkachat.users.passivate-logged-in,
/// docs/performance.md "Should a user's actor stay resident"). The actor detaches the session,
/// tells it <see cref="SessionPassivated"/> (so it does not resume on the Terminated that follows)
/// and stops after its snapshot. The connection stays open. Whatever next reaches the user (a SEND
/// for it, a receipt, the client's own ACK or READ) starts the actor again; its recovery tells the
/// connection the journal names as the latest login <see cref="WakeSession"/>, and the connection
/// resumes through the shard region (<see cref="ResumeSession"/>), which re-attaches it after the
/// latest-login check and pushes from the oldest unacknowledged item.
/// </summary>
public sealed partial class UserActor
{
    // The session detached at passivation, while this incarnation is still stopping: an item queued
    // before the stop wakes it at once instead of waiting for the next message to the user.
    private IActorRef? _passivatedSession;

    /// <summary>Whether the attached session allows passivation: nothing durable is unacknowledged.</summary>
    private bool SessionAllowsPassivation() =>
        _session is null
        || (_settings.PassivateLoggedIn && _durableUpTo <= _state.RemovedUpTo && _state.Inbox.Count == 0);

    /// <summary>Detaches the attached session (if any) before passivating, and tells it so.</summary>
    private void DetachSessionForPassivation()
    {
        if (_session is not { } session)
        {
            return;
        }

        Context.Unwatch(session);
        session.Tell(new SessionPassivated { Phone = _phone });
        Log.Debug("User {0}: passivating while session {1} is idle", _phone, session.Path.Name);
        _passivatedSession = session;
        _session = null;
    }

    /// <summary>An item is queued while no session is attached: wake the session detached at passivation, once.</summary>
    private void WakePassivatedSession()
    {
        if (_passivatedSession is { } session && _durableUpTo > _state.RemovedUpTo)
        {
            _passivatedSession = null;
            session.Tell(new WakeSession { Phone = _phone });
        }
    }

    /// <summary>
    /// After recovery: the connection the journal names as the latest login may be a passivated
    /// session waiting to be woken. Tell it; a closed or replaced connection drops the message
    /// (suppressed as a dead letter), and one whose session is attached or resuming ignores it.
    /// Only a local path or one on a current cluster member is told, so no remote address that
    /// left the cluster is dialled.
    /// </summary>
    private void WakeLatestSession()
    {
        if (!_settings.PassivateLoggedIn || _session is not null || _state.LatestSession.Length == 0
            || !ActorPath.TryParse(_state.LatestSession, out var path))
        {
            return;
        }

        var system = (ExtendedActorSystem)Context.System;
        if (path.Address.HasGlobalScope && !path.Address.Equals(system.Provider.DefaultAddress) && !IsClusterMember(path.Address))
        {
            return;
        }

        system.Provider.ResolveActorRef(path).Tell(new WakeSession { Phone = _phone });
    }

    private bool IsClusterMember(Address address)
    {
        if (!Context.System.HasExtension<Akka.Cluster.Cluster>())
        {
            return false;
        }

        foreach (var member in Akka.Cluster.Cluster.Get(Context.System).State.Members)
        {
            if (member.Address.Equals(address))
            {
                return true;
            }
        }

        return false;
    }
}
