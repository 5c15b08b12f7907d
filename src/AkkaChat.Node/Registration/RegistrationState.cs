using AkkaChat.Node.Contracts;
using Google.Protobuf;

namespace AkkaChat.Node.Registration;

/// <summary>
/// The registration part of a user entity: whether the number is registered and which device
/// tokens log in to it. Pure: decisions return events, <see cref="Apply"/> folds one in.
/// </summary>
public sealed partial class RegistrationState
{
    private readonly List<DeviceToken> _tokens = new();

    public RegistrationState(int maxDeviceTokens) => MaxDeviceTokens = maxDeviceTokens;

    /// <summary>Tokens kept: the newest devices win, the oldest token stops working.</summary>
    public int MaxDeviceTokens { get; }

    public bool Registered { get; private set; }

    public IReadOnlyList<DeviceToken> Tokens => _tokens;

    /// <summary>
    /// The serialized path of the connection of the latest login, in journal order; empty before any
    /// (or in a journal written before logins were journaled). Only it may resume the session.
    /// </summary>
    public string LatestSession { get; private set; } = string.Empty;

    /// <summary>Whether this part folds <paramref name="event"/> in.</summary>
    public static bool Handles(object @event) => @event is UserRegistered or DeviceTokenIssued or SessionLoggedIn;

    public SessionLoggedIn DecideLogin(string session, long nowMs) => new() { Session = session, AtMs = nowMs };

    public DeviceTokenIssued DecideIssueToken(byte[] tokenHash, string deviceName, long nowMs) =>
        new() { TokenHash = ByteString.CopyFrom(tokenHash), DeviceName = deviceName, AtMs = nowMs };

    public bool HasToken(ReadOnlySpan<byte> tokenHash)
    {
        foreach (var token in _tokens)
        {
            if (System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(token.TokenHash.Span, tokenHash))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Any queued item implies a registered user (older journals hold no UserRegistered before them).</summary>
    public void MarkRegistered() => Registered = true;

    public void Apply(object @event)
    {
        switch (@event)
        {
            case UserRegistered:
                Registered = true;
                break;
            case DeviceTokenIssued issued:
                Registered = true;
                _tokens.Add(new DeviceToken { TokenHash = issued.TokenHash, DeviceName = issued.DeviceName, IssuedAtMs = issued.AtMs });
                if (_tokens.Count > MaxDeviceTokens)
                {
                    _tokens.RemoveAt(0);
                }

                break;
            case SessionLoggedIn login:
                LatestSession = login.Session;
                break;
            default:
                throw new ArgumentException($"{@event.GetType().Name} is not a registration event", nameof(@event));
        }
    }

    public void WriteTo(UserSnapshot snapshot)
    {
        snapshot.Registered = Registered;
        snapshot.Tokens.AddRange(_tokens);
        snapshot.LatestSession = LatestSession;
    }

    public void ReadFrom(UserSnapshot snapshot)
    {
        Registered = snapshot.Registered;
        _tokens.AddRange(snapshot.Tokens);
        LatestSession = snapshot.LatestSession;
    }
}
