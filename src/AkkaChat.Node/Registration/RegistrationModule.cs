using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using ProtocolError = AkkaChat.Protocol.Messages.Error;

namespace AkkaChat.Node.Registration;

/// <summary>
/// Registration and login: AUTH_REQUEST_CODE (a code by SMS), AUTH_VERIFY (the code for a device
/// token) and AUTH_LOGIN (a token), before login; after login each is a BAD_REQUEST.
/// </summary>
public sealed class RegistrationModule : INodeModule
{
    public string Name => "registration";

    public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry)
    {
        var users = registry.Get<UserShard>();
        routes
            .Serve<AuthRequestCode>(ConnectionPhase.BeforeLogin, (request, connection) =>
                users.Tell(new RequestCode { Phone = PhoneNumber.Parse(request.Phone).Value }, connection.Self))
            .Serve<AuthVerify>(ConnectionPhase.BeforeLogin, (verify, connection) =>
            {
                var phone = PhoneNumber.Parse(verify.Phone).Value;
                connection.BeginLogin(verify.Phone, users, new VerifyCode { Phone = phone, Code = verify.Code, DeviceName = verify.DeviceName });
            })
            .Serve<AuthLogin>(ConnectionPhase.BeforeLogin, (login, connection) =>
                connection.BeginLogin(login.Phone, users, new Login { Phone = PhoneNumber.Parse(login.Phone).Value, Token = login.Token }))
            .Serve<AuthRequestCode>(ConnectionPhase.LoggedIn, AlreadyLoggedIn)
            .Serve<AuthVerify>(ConnectionPhase.LoggedIn, AlreadyLoggedIn)
            .Serve<AuthLogin>(ConnectionPhase.LoggedIn, AlreadyLoggedIn);
    }

    private static void AlreadyLoggedIn(object _, IConnection connection) =>
        connection.Reply(ProtocolError.Of(ErrorCode.BadRequest, "already logged in"));
}

public static class RegistrationHostingExtensions
{
    /// <summary>Registration by SMS code, device tokens and login.</summary>
    public static IServiceCollection AddRegistration(this IServiceCollection services) => services.AddNodeModule<RegistrationModule>();
}
