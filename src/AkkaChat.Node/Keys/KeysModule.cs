using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Keys.Contracts;
using AkkaChat.Node.Keys.Internal;
using AkkaChat.Node.Modules;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Keys;

/// <summary>Settings of the key store, from <c>akkachat.keys</c> (documented in hocon/akkachat.conf).</summary>
public sealed record KeysSettings(int MaxOneTimePrekeys, int FetchPerMinute, int FetchBurst, int SnapshotAfter, TimeSpan PassivateAfter)
{
    /// <summary>KEYS_LOW is sent while fewer than this many one-time prekeys remain (the protocol's number).</summary>
    public int LowThreshold => 10;

    public static KeysSettings Create(Config config)
    {
        var c = config.GetConfig("akkachat") ?? throw new ConfigurationException("missing 'akkachat' section");
        return new KeysSettings(
            AkkaChatSettings.Positive(c, "keys.max-one-time-prekeys"),
            AkkaChatSettings.Positive(c, "keys.fetch-per-minute"),
            AkkaChatSettings.Positive(c, "keys.fetch-burst"),
            AkkaChatSettings.Positive(c, "keys.snapshot-after"),
            AkkaChatSettings.PositiveTime(c, "keys.passivate-after"));
    }
}

/// <summary>
/// The key store for end-to-end encryption: KEYS_UPLOAD (checked, then stored in the owner's key
/// store entity), KEYS_FETCH (answered KEY_BUNDLE by the peer's entity, consuming one one-time
/// prekey), and KEYS_LOW to the owner. Logged in only. A fetch of a number the user directory does
/// not know, or of a user without keys, is NOT_FOUND (ref = the number); over the requester's
/// fetch budget, RATE_LIMITED (ref = the number).
/// </summary>
public sealed class KeysModule(KeysSettings settings, ShardingSettings sharding, IUserDirectory directory) : INodeModule
{
    private readonly FetchBudget _budget = new(settings.FetchPerMinute / 60.0, settings.FetchBurst);

    public string Name => "keys";

    public void ConfigureAkka(AkkaConfigurationBuilder akka) =>
        akka.WithShardRegion<KeyShard>(KeyShard.TypeName, phone => KeyStoreActor.Props(phone, settings), new KeyShard(), sharding.ShardOptions());

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var keys = registry.Get<KeyShard>();
        routes
            .Serve<KeysUpload>(ConnectionPhase.LoggedIn, (upload, connection) =>
            {
                if (KeyValidation.Problem(upload) is { } problem)
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, problem));
                    return;
                }

                keys.Tell(new StoreKeys { Phone = connection.Phone, Upload = upload }, connection.Self);
            })
            .Serve<KeysFetch>(ConnectionPhase.LoggedIn, (fetch, connection) => HandleFetch(fetch, connection, keys))
            .OnLogin(connection => keys.Tell(new OwnerLoggedIn { Phone = connection.Phone }, connection.Self));
    }

    private void HandleFetch(KeysFetch fetch, IConnection connection, IActorRef keys)
    {
        var phone = PhoneNumber.Parse(fetch.Phone).Value; // BAD_REQUEST when not E.164
        if (!_budget.TryTake(connection.Phone!, Environment.TickCount64))
        {
            connection.Reply(ProtocolError.Of(ErrorCode.RateLimited, $"over {settings.FetchPerMinute} key bundle fetches a minute (burst {settings.FetchBurst})", phone));
            return;
        }

        var command = new FetchBundle { Phone = phone };
        if (directory.TryGetCached(phone, out _))
        {
            keys.Tell(command, connection.Self);
            return;
        }

        connection.Await(
            directory.FindAsync(phone),
            entry =>
            {
                if (entry is null)
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.NotFound, $"{phone} is not registered", phone));
                    return;
                }

                keys.Tell(command, connection.Self);
            },
            failure => connection.Reply(Overload.Refusal(failure, "the key bundle could not be read; try again", phone)));
    }
}

public static class KeysHostingExtensions
{
    /// <summary>The key store for end-to-end encryption (<c>akkachat.keys</c>).</summary>
    public static IServiceCollection AddKeys(this IServiceCollection services, Config config)
    {
        services.AddSingleton(KeysSettings.Create(config));
        return services.AddNodeModule<KeysModule>();
    }
}
