using Akka.Hosting;
using AkkaChat.Node.Modules;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;

namespace AkkaChat.Node.Tests.Modules;

public sealed class FrameRoutesTests
{
    private sealed class Module(string name, Action<FrameRoutes.Builder> map) : INodeModule
    {
        public string Name => name;

        public void MapFrames(FrameRoutes.Builder routes, IReadOnlyActorRegistry registry) => map(routes);
    }

    private static FrameRoutes Build(params INodeModule[] modules) => FrameRoutes.Build(modules, new ActorRegistry());

    [Fact]
    public void A_type_is_found_only_in_the_phases_its_module_serves_it_in()
    {
        var routes = Build(new Module("inbox", r => r.Serve<Send>(ConnectionPhase.LoggedIn, (_, _) => { })));

        Assert.NotNull(routes.Find(FrameType.Send, ConnectionPhase.LoggedIn));
        Assert.Null(routes.Find(FrameType.Send, ConnectionPhase.BeforeLogin));
        Assert.Null(routes.Find(FrameType.Typing, ConnectionPhase.LoggedIn));
    }

    [Fact]
    public void A_type_served_always_is_found_in_both_phases()
    {
        var routes = Build(new Module("sessions", r => r.Serve<Ping>(ConnectionPhase.Always, (_, _) => { })));

        Assert.NotNull(routes.Find(FrameType.Ping, ConnectionPhase.BeforeLogin));
        Assert.NotNull(routes.Find(FrameType.Ping, ConnectionPhase.LoggedIn));
        Assert.Equal(
            [(FrameType.Ping, ConnectionPhase.BeforeLogin, "sessions"), (FrameType.Ping, ConnectionPhase.LoggedIn, "sessions")],
            routes.Entries);
    }

    [Fact]
    public void Two_modules_serving_the_same_type_in_the_same_phase_fail_naming_both()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(
            new Module("inbox", r => r.Serve<Send>(ConnectionPhase.LoggedIn, (_, _) => { })),
            new Module("groups", r => r.Serve<Send>(ConnectionPhase.LoggedIn, (_, _) => { }))));

        Assert.Contains("inbox", error.Message);
        Assert.Contains("groups", error.Message);
    }

    [Fact]
    public void A_server_to_client_type_cannot_be_served()
    {
        Assert.Throws<ArgumentException>(() => Build(new Module("x", r => r.Serve<Deliver>(ConnectionPhase.LoggedIn, (_, _) => { }))));
    }

    [Fact]
    public void A_type_the_protocol_allows_only_after_login_cannot_be_served_before_it()
    {
        Assert.Throws<ArgumentException>(() => Build(new Module("x", r => r.Serve<Send>(ConnectionPhase.BeforeLogin, (_, _) => { }))));
    }

    [Fact]
    public void The_handler_receives_the_frame_payload_it_was_declared_for()
    {
        Send? seen = null;
        var routes = Build(new Module("inbox", r => r.Serve<Send>(ConnectionPhase.LoggedIn, (send, _) => seen = send)));
        var send = new Send { ClientMsgId = "c-1" };

        routes.Find(FrameType.Send, ConnectionPhase.LoggedIn)!(send, null!);

        Assert.Same(send, seen);
    }
}
