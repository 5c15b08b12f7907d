using Akka.Actor;
using Akka.Hosting;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.UserDirectory;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using AkkaChat.Node.Diagnostics;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Registration;

/// <summary>
/// Registration and login: AUTH_REQUEST_CODE (a code by SMS), AUTH_VERIFY (the code for a device
/// token) and AUTH_LOGIN (a token), before login; after login each is a BAD_REQUEST.
/// <para>AUTH_LOGIN is answered from the user directory when the number or the token is unknown
/// there (AUTH_FAILED, without recovering the user's journal); otherwise the user actor decides.</para>
public sealed class RegistrationModule(IUserDirectory directory, RegistrationSettings settings) : INodeModule
{
    /// <summary>With the registration part of the node's settings.</summary>
    public RegistrationModule(IUserDirectory directory, AkkaChatSettings settings)
        : this(directory, settings.Registration)
    {
    }

    private readonly CodeRequestLimiter _codeRequests = new(settings.CodeRequests);

    public string Name => "registration";

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var users = registry.Get<UserShard>();
        routes
            .Serve<AuthRequestCode>(ConnectionPhase.BeforeLogin, (request, connection) =>
            {
                var phone = PhoneNumber.Parse(request.Phone).Value;
                if (!_codeRequests.TryTake(phone, connection.SourceAddress))
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.RateLimited, "too many code requests; try again later", phone));
                    return;
                }

                users.Tell(new RequestCode { Phone = phone }, connection.Self);
            })
            .Serve<AuthVerify>(ConnectionPhase.BeforeLogin, (verify, connection) =>
            {
                var phone = PhoneNumber.Parse(verify.Phone).Value;
                connection.BeginLogin(verify.Phone, users, new VerifyCode { Phone = phone, Code = verify.Code, DeviceName = verify.DeviceName });
            })
            .Serve<AuthLogin>(ConnectionPhase.BeforeLogin, (login, connection) => HandleLogin(login, connection, users))
            .Serve<AuthRequestCode>(ConnectionPhase.LoggedIn, AlreadyLoggedIn)
            .Serve<AuthVerify>(ConnectionPhase.LoggedIn, AlreadyLoggedIn)
            .Serve<AuthLogin>(ConnectionPhase.LoggedIn, AlreadyLoggedIn);
    }

    private void HandleLogin(AuthLogin login, IConnection connection, IActorRef users)
    {
        var phone = PhoneNumber.Parse(login.Phone).Value;
        var hash = DeviceTokens.Hash(login.Token.Span);
        var command = new Login { Phone = phone, Token = login.Token };
        if (directory.TryGetCached(phone, out var cached) && cached.HasToken(hash))
        {
            connection.BeginLogin(login.Phone, users, command);
            return;
        }

        // Not cached, or a token the cached entry lacks (issued since, maybe on another node): read the table.
        connection.Await(
            directory.FindAsync(phone, refresh: true),
            entry =>
            {
                if (entry is null || !entry.HasToken(hash))
                {
                    connection.Reply(ProtocolError.Of(ErrorCode.AuthFailed, "unknown phone or token"));
                    return;
                }

                ConfirmIfPending(entry, users, connection);
                connection.BeginLogin(login.Phone, users, command);
            },
            failure => connection.Reply(Overload.Refusal(failure, "login is unavailable; try again")));
    }

    /// <summary>
    /// An entry not yet confirmed: its registration may not have reached the journal (a crash in
    /// between). Its user actor knows, and confirms or removes it.
    /// </summary>
    internal static void ConfirmIfPending(DirectoryEntry entry, IActorRef users, IConnection connection)
    {
        if (!entry.Confirmed)
        {
            users.Tell(new ConfirmDirectoryEntry { Phone = entry.Phone }, ActorRefs.NoSender);
        }
    }

    private static void AlreadyLoggedIn(object _, IConnection connection) =>
        connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, "already logged in"));
}

public static class RegistrationHostingExtensions
{
    /// <summary>Registration by SMS code, device tokens and login.</summary>
    public static IServiceCollection AddRegistration(this IServiceCollection services)
    {
        services.AddSingleton(provider => provider.GetRequiredService<AkkaChatSettings>().Registration);
        return services.AddNodeModule(provider => new RegistrationModule(provider.GetRequiredService<IUserDirectory>(), provider.GetRequiredService<RegistrationSettings>()));
    }
}
