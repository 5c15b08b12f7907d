using Akka.Actor;
using Akka.TestKit;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Connections;
using Akka.Hosting;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Inbox;
using AkkaChat.Node.Modules;
using AkkaChat.Node.Registration;
using AkkaChat.Node.Sessions;
using AkkaChat.Node.Users;
using AkkaChat.Node.Tests.Support;
using AkkaChat.Node.Transport;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Connections;

/// <summary>
/// A ConnectionActor between two probes: one stands in for its <see cref="ConnectionStage"/> (frames
/// in, bytes out), the other for the user shard region.
/// </summary>
public sealed class ConnectionActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";

    private static readonly AkkaChatSettings Settings = TestSettings.Create();

    // ---- before login ----

    [Fact]
    public void A_ping_before_login_is_answered_with_a_pong()
    {
        var (connection, stage, _) = Open();

        connection.Tell(Received(new Ping { Nonce = 42 }));

        var pong = ExpectFrame<Pong>(stage);
        Assert.Equal(42UL, pong.Nonce);
        Assert.InRange(pong.ServerTimeMs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        ExpectHandled(stage);
    }

    [Fact]
    public void A_send_before_login_is_refused_as_unauthenticated_and_closes()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));

        Assert.Equal(ErrorCode.Unauthenticated, ExpectFrame<Error>(stage).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
        ExpectHandled(stage);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_unknown_frame_type_is_answered_with_unknown_type_and_the_connection_stays()
    {
        var (connection, stage, _) = Open();

        connection.Tell(new ConnectionStage.FrameReceived(new Frame((FrameType)0x7E, null)));

        Assert.Equal(ErrorCode.UnknownType, ExpectFrame<Error>(stage).ErrorCode);
        ExpectHandled(stage);

        connection.Tell(Received(new Ping { Nonce = 1 })); // still open: the next frame is served
        Assert.Equal(1UL, ExpectFrame<Pong>(stage).Nonce);
        ExpectHandled(stage);
    }

    [Fact]
    public void A_server_to_client_frame_type_from_the_client_is_an_unknown_type()
    {
        var (connection, stage, _) = Open();

        connection.Tell(Received(new Pong { Nonce = 1 }));

        Assert.Equal(ErrorCode.UnknownType, ExpectFrame<Error>(stage).ErrorCode);
        ExpectHandled(stage);
    }

    [Fact]
    public void A_login_with_a_bad_phone_number_is_a_bad_request_and_the_connection_stays()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new AuthLogin { Phone = "0044 7700 900123", Token = ByteString.CopyFrom(new byte[32]) }));

        Assert.Equal(ErrorCode.BadRequest, ExpectFrame<Error>(stage).ErrorCode);
        ExpectHandled(stage);

        // Still waiting for a login: a good one goes through.
        connection.Tell(Received(new AuthLogin { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }));
        Assert.Equal(Me, users.ExpectMsg<Login>().Phone);
    }

    [Fact]
    public void A_code_request_is_forwarded_and_its_answer_written()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new AuthRequestCode { Phone = Me }));

        Assert.Equal(Me, users.ExpectMsg<RequestCode>().Phone);
        ExpectHandled(stage);
        users.Reply(new AuthCodeSent { ExpiresInS = 600 });
        Assert.Equal(600U, ExpectFrame<AuthCodeSent>(stage).ExpiresInS);
    }

    // ---- logging in ----

    [Fact]
    public void Frames_sent_while_logging_in_are_held_until_auth_ok_and_then_handled()
    {
        var (connection, stage, users) = Open();
        var token = ByteString.CopyFrom(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

        connection.Tell(Received(new AuthLogin { Phone = Me, Token = token }));
        var login = users.ExpectMsg<Login>();
        Assert.Equal((Me, token), (login.Phone, login.Token));
        ExpectHandled(stage);

        connection.Tell(Received(new Ping { Nonce = 7 }));
        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));
        users.Reply(new AuthOk { Node = "n1", Pending = 0 });

        // Had the PING not been held, its PONG would have been written before AUTH_OK.
        Assert.Equal("n1", ExpectFrame<AuthOk>(stage).Node);
        Assert.Equal(7UL, ExpectFrame<Pong>(stage).Nonce);
        ExpectHandled(stage);
        Assert.Equal("c-1", users.ExpectMsg<SubmitMessage>().ClientMsgId);
        ExpectHandled(stage);
    }

    [Fact]
    public void A_refused_login_is_answered_with_auth_failed_and_closes()
    {
        var (connection, stage, users) = Open();
        connection.Tell(Received(new AuthLogin { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }));
        users.ExpectMsg<Login>();
        ExpectHandled(stage);

        users.Reply(Error.Of(ErrorCode.AuthFailed, "unknown phone or token"));

        Assert.Equal(ErrorCode.AuthFailed, ExpectFrame<Error>(stage).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void A_registration_code_logs_the_connection_in()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new AuthVerify { Phone = Me, Code = "123456", DeviceName = "phone" }));

        var verify = users.ExpectMsg<VerifyCode>();
        Assert.Equal((Me, "123456", "phone"), (verify.Phone, verify.Code, verify.DeviceName));
        ExpectHandled(stage);
        users.Reply(new AuthOk { Token = ByteString.CopyFrom(new byte[32]) });
        Assert.Equal(32, ExpectFrame<AuthOk>(stage).Token.Length);

        connection.Tell(Received(new Ack { UpToSeq = 3 }));
        var ack = users.ExpectMsg<AcknowledgeItems>();
        Assert.Equal((Me, 3UL), (ack.Phone, ack.UpToSeq));
        ExpectHandled(stage);
    }

    // ---- logged in ----

    [Fact]
    public void After_login_a_send_becomes_a_submission_to_the_recipient_from_me()
    {
        var (connection, stage, users) = OpenLoggedIn();

        connection.Tell(Received(new Send
        {
            ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hello"), MediaId = "m-1",
        }));

        var submit = users.ExpectMsg<SubmitMessage>();
        Assert.Equal(
            (Alice, Me, "c-1", (uint)MessageKind.Text, "hello", "m-1"),
            (submit.Phone, submit.From, submit.ClientMsgId, submit.Kind, submit.Body.ToStringUtf8(), submit.MediaId));
        ExpectHandled(stage);

        users.Reply(new SendAck { ClientMsgId = "c-1", ServerMsgId = "srv-1" });
        Assert.Equal("srv-1", ExpectFrame<SendAck>(stage).ServerMsgId);
    }

    [Fact]
    public void A_send_answered_by_its_send_ack_is_traced_as_accepted_at_the_time_it_was_read_and_timed()
    {
        var (connection, stage, users) = OpenLoggedIn();
        long timed = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        var meter = AkkaChat.Node.Diagnostics.NodeMetrics.Get(Sys).Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "akkachat.send.ack.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref timed));
        listener.Start();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        connection.Tell(Received(new Send { ClientMsgId = "c-9", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);
        users.Reply(new SendAck { ClientMsgId = "c-9", ServerMsgId = "srv-9" });
        ExpectFrame<SendAck>(stage);

        var hops = AkkaChat.Node.Management.MessageTrace.Get(Sys).Find("srv-9");
        var accepted = Assert.Single(hops, h => h.What == $"SEND c-9 from {Me} accepted on the sender's connection");
        Assert.InRange(accepted.AtUnixMs, before, hops.Single(h => h.What == "SEND_ACK written to the sender").AtUnixMs);
        Assert.Equal(1, Interlocked.Read(ref timed));
    }

    [Fact]
    public void An_operators_kick_writes_forbidden_and_closes_the_connection()
    {
        var (connection, stage, _) = OpenLoggedIn();

        connection.Tell(new ConnectionActor.Kick("disconnected by an operator"));

        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.Forbidden, "disconnected by an operator", ""), (error.ErrorCode, error.Message, error.Ref));
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void A_send_left_unanswered_for_the_send_answer_timeout_is_answered_overloaded_with_its_client_msg_id_and_the_connection_stays_open()
    {
        var settings = Settings with { Connection = Settings.Connection with { SendAnswerTimeout = TimeSpan.FromMilliseconds(500) } };
        var (connection, stage, users) = OpenLoggedIn(settings: settings);

        connection.Tell(Received(new Send { ClientMsgId = "answered", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("a") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);
        users.Reply(new SendAck { ClientMsgId = "answered", ServerMsgId = "srv-1" });
        Assert.Equal("answered", ExpectFrame<SendAck>(stage).ClientMsgId);

        // This one's SubmitMessage is stuck in a backlog or lost on its way (nobody answers it).
        connection.Tell(Received(new Send { ClientMsgId = "lost", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("b") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);

        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.Overloaded, "lost"), (error.ErrorCode, error.Ref));
        stage.ExpectNoMsg(TimeSpan.FromSeconds(1)); // the answered SEND gets no ERROR, and the connection is not closed

        connection.Tell(Received(new Send { ClientMsgId = "lost", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("b") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);
        users.Reply(new SendAck { ClientMsgId = "lost", ServerMsgId = "srv-2" });
        Assert.Equal("lost", ExpectFrame<SendAck>(stage).ClientMsgId);
    }

    [Fact]
    public void A_send_the_user_actor_refuses_as_overloaded_is_answered_overloaded_with_its_ref_and_the_connection_stays_open_for_the_next_send()
    {
        var (connection, stage, users) = OpenLoggedIn();

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("a") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);
        users.Reply(Error.Of(ErrorCode.Overloaded, "the node is overloaded; not stored, send it again later", "c-1"));

        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.Overloaded, "c-1"), (error.ErrorCode, error.Ref));
        stage.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // no Close: OVERLOADED with a ref keeps the connection

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("a") }));
        users.ExpectMsg<SubmitMessage>();
        ExpectHandled(stage);
        users.Reply(new SendAck { ClientMsgId = "c-1", ServerMsgId = "srv-1" });
        Assert.Equal("c-1", ExpectFrame<SendAck>(stage).ClientMsgId);
    }

    [Fact]
    public void Items_the_socket_took_are_reported_to_the_user_actor_every_half_delivery_window()
    {
        var settings = Settings with { Connection = Settings.Connection with { DeliveryWindow = 4 } };
        var (connection, _, users) = OpenLoggedIn(settings: settings);

        connection.Tell(new ConnectionStage.Written(UpToSeq: 1, Count: 1));
        connection.Tell(new ConnectionStage.Written(UpToSeq: 2, Count: 1)); // two: half the window

        var written = users.ExpectMsg<ItemsWritten>();
        Assert.Equal((Me, 2UL), (written.Phone, written.UpToSeq));
        connection.Tell(new ConnectionStage.Written(UpToSeq: 3, Count: 1));
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        connection.Tell(new ConnectionStage.Written(UpToSeq: 5, Count: 2));
        Assert.Equal(5UL, users.ExpectMsg<ItemsWritten>().UpToSeq);
    }

    [Fact]
    public void Queued_items_from_the_user_actor_are_written_in_the_order_they_arrive()
    {
        var (connection, stage, _) = OpenLoggedIn();

        connection.Tell(new Deliver { Seq = 1, ServerMsgId = "srv-1", From = Alice });
        connection.Tell(new Receipt { Seq = 2, ServerMsgId = "srv-0", By = Alice, Status = (uint)ReceiptStatus.Read });

        Assert.Equal(1UL, ExpectFrame<Deliver>(stage).Seq);
        Assert.Equal(2UL, ExpectFrame<Receipt>(stage).Seq);
    }

    [Fact]
    public void A_send_over_the_rate_limit_is_refused_with_its_client_msg_id_and_the_connection_stays()
    {
        var runtime = new RuntimeSettingsSource(Settings.Runtime with { SendBurst = 2, SendPerSecond = 0.001 });
        var (connection, stage, users) = OpenLoggedIn(runtime);

        for (var i = 1; i <= 3; i++)
        {
            connection.Tell(Received(new Send { ClientMsgId = $"c-{i}", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));
        }

        Assert.Equal("c-1", users.ExpectMsg<SubmitMessage>().ClientMsgId);
        Assert.Equal("c-2", users.ExpectMsg<SubmitMessage>().ClientMsgId);
        ExpectHandled(stage);
        ExpectHandled(stage);
        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.RateLimited, "c-3"), (error.ErrorCode, error.Ref));
        ExpectHandled(stage);

        connection.Tell(Received(new Ping { Nonce = 9 }));
        Assert.Equal(9UL, ExpectFrame<Pong>(stage).Nonce);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData("", ErrorCode.BadRequest)]
    [InlineData("g:family", ErrorCode.NotFound)]
    [InlineData("not-a-phone", ErrorCode.BadRequest)]
    public void A_send_to_an_unusable_address_is_refused_with_its_client_msg_id(string to, ErrorCode expected)
    {
        var (connection, stage, users) = OpenLoggedIn();

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = to, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));

        var error = ExpectFrame<Error>(stage);
        Assert.Equal((expected, "c-1"), (error.ErrorCode, error.Ref));
        ExpectHandled(stage);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_send_with_a_body_over_the_limit_is_too_large()
    {
        var (connection, stage, _) = OpenLoggedIn(settings: Settings with { MaxBodyBytes = 10 });

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFrom(new byte[11]) }));

        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.TooLarge, "c-1"), (error.ErrorCode, error.Ref));
    }

    [Fact]
    public void A_newer_login_elsewhere_closes_this_connection_with_replaced()
    {
        var (connection, stage, _) = OpenLoggedIn();

        connection.Tell(new SessionReplaced { Phone = Me });

        Assert.Equal(ErrorCode.Replaced, ExpectFrame<Error>(stage).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void When_its_user_actor_stops_the_session_resumes_through_the_region_without_a_frame_to_the_client()
    {
        var (connection, stage, users) = Open();
        connection.Tell(Received(new AuthLogin { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }));
        users.ExpectMsg<Login>();
        ExpectHandled(stage);
        var incarnation = CreateTestProbe("user-actor");
        connection.Tell(new AuthOk { Node = "n1" }, incarnation.Ref);
        ExpectFrame<AuthOk>(stage);

        Sys.Stop(incarnation.Ref); // its shard moved, or its node went down

        Assert.Equal(Me, users.ExpectMsg<ResumeSession>().Phone);
        var next = CreateTestProbe("user-actor-2");
        connection.Tell(new SessionResumed { Phone = Me }, next.Ref);
        Sys.Stop(next.Ref);
        Assert.Equal(Me, users.ExpectMsg<ResumeSession>().Phone); // the new incarnation is watched too
        stage.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_restarting_user_actor_makes_the_session_resume()
    {
        var (connection, _, users) = OpenLoggedIn();

        connection.Tell(new SessionInterrupted { Phone = Me });

        Assert.Equal(Me, users.ExpectMsg<ResumeSession>().Phone);
    }

    [Fact]
    public void A_connection_that_sends_nothing_for_the_idle_timeout_is_closed()
    {
        var runtime = new RuntimeSettingsSource(Settings.Runtime with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var (_, stage, _) = Open(runtime);

        var error = ExpectFrame<Error>(stage, TimeSpan.FromSeconds(3));

        Assert.Equal(ErrorCode.IdleTimeout, error.ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void A_reloaded_idle_timeout_applies_to_a_logged_in_connection_already_open()
    {
        var runtime = new RuntimeSettingsSource(Settings.Runtime with { IdleTimeout = TimeSpan.FromMinutes(5) });
        var (_, stage, _) = OpenLoggedIn(runtime);
        stage.ExpectNoMsg(TimeSpan.FromMilliseconds(600)); // past a few sweeps: the 5 min timeout holds

        runtime.Update(runtime.Current with { IdleTimeout = TimeSpan.FromMilliseconds(300) });

        Assert.Equal(ErrorCode.IdleTimeout, ExpectFrame<Error>(stage, TimeSpan.FromSeconds(3)).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void A_connection_that_keeps_receiving_frames_is_not_closed_at_the_idle_timeout()
    {
        var idleTimeout = TimeSpan.FromSeconds(1);
        var runtime = new RuntimeSettingsSource(Settings.Runtime with { IdleTimeout = idleTimeout });
        var (connection, stage, _) = OpenLoggedIn(runtime);

        // A PING every 100 ms for three idle timeouts; between two PINGs the node sends nothing (no IDLE_TIMEOUT).
        var pinging = System.Diagnostics.Stopwatch.StartNew();
        for (var nonce = 1UL; pinging.Elapsed < idleTimeout * 3; nonce++)
        {
            connection.Tell(Received(new Ping { Nonce = nonce }));
            Assert.Equal(nonce, ExpectFrame<Pong>(stage).Nonce);
            ExpectHandled(stage);
            stage.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(ErrorCode.IdleTimeout, ExpectFrame<Error>(stage, TimeSpan.FromSeconds(3)).ErrorCode); // then silent
    }

    [Fact]
    public void A_connection_that_keeps_pinging_but_never_logs_in_is_closed_as_unauthenticated_at_the_login_deadline()
    {
        var loginTimeout = TimeSpan.FromSeconds(1);
        var settings = Settings with { Connection = Settings.Connection with { LoginTimeout = loginTimeout } };
        var opened = System.Diagnostics.Stopwatch.StartNew();
        var (connection, stage, users) = Open(settings: settings); // idle-timeout stays 5 min: the PINGs are not what closes it

        var pongs = 0;
        for (var nonce = 1UL; ; nonce++)
        {
            Assert.True(opened.Elapsed < TimeSpan.FromSeconds(30), $"still open after {pongs} PONGs, {opened.Elapsed} after connecting");
            connection.Tell(Received(new Ping { Nonce = nonce }));
            var frame = FrameReader.ReadSingle(stage.ExpectMsg<ConnectionStage.Outgoing>(TimeSpan.FromSeconds(10)).Bytes.ToArray()).Message;
            if (frame is Error error)
            {
                Assert.Equal(ErrorCode.Unauthenticated, error.ErrorCode);
                break;
            }

            Assert.Equal(nonce, Assert.IsType<Pong>(frame).Nonce);
            ExpectHandled(stage);
            pongs++;
            Thread.Sleep(100); // the client's ping cadence, not a wait for a condition
        }

        stage.FishForMessage<ConnectionStage.Close>(_ => true, TimeSpan.FromSeconds(5));
        Assert.True(opened.Elapsed >= loginTimeout, $"closed {opened.Elapsed} after connecting, before the login deadline");
        Assert.True(pongs >= 2, $"only {pongs} PINGs were answered before the deadline");
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_logged_in_connection_is_not_closed_at_the_login_deadline()
    {
        var loginTimeout = TimeSpan.FromMilliseconds(300);
        var settings = Settings with { Connection = Settings.Connection with { LoginTimeout = loginTimeout } };
        var (connection, stage, _) = OpenLoggedIn(settings: settings);

        stage.ExpectNoMsg(loginTimeout * 4); // well past the deadline: no ERROR, no close

        connection.Tell(Received(new Ping { Nonce = 9 }));
        Assert.Equal(9UL, ExpectFrame<Pong>(stage).Nonce);
        ExpectHandled(stage);
    }

    [Fact]
    public void A_malformed_byte_stream_is_answered_with_malformed_and_closes()
    {
        var (connection, stage, _) = Open();

        connection.Tell(new ConnectionStage.ProtocolViolation(new ProtocolException(ErrorCode.Malformed, "bad protobuf")));

        Assert.Equal(ErrorCode.Malformed, ExpectFrame<Error>(stage).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
    }

    [Fact]
    public void A_closing_connection_handles_no_more_frames()
    {
        var (connection, stage, _) = Open();
        connection.Tell(new ConnectionStage.ProtocolViolation(new ProtocolException(ErrorCode.Malformed, "bad protobuf")));
        ExpectFrame<Error>(stage);
        stage.ExpectMsg<ConnectionStage.Close>();

        connection.Tell(Received(new Ping { Nonce = 1 }));

        stage.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void The_connection_stops_when_its_socket_is_gone()
    {
        var (connection, _, _) = Open();
        Watch(connection);

        connection.Tell(new ConnectionStage.Disconnected("closed by peer"));

        ExpectTerminated(connection);
    }

    [Fact]
    public async Task A_stopped_connection_is_not_kept_reachable_by_the_node_wide_idle_sweep()
    {
        // The sweep has this connection's login deadline and idle timeout, minutes ahead. Once the
        // connection has stopped, nothing the sweep holds may keep its actor (and so its state and
        // stream graph) alive until then: under connection churn that was every closed connection.
        var stopped = await StartAndStopConnectionAsync();

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (stopped.IsAlive && DateTime.UtcNow < until)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            await Task.Delay(50);
        }

        Assert.False(stopped.IsAlive, "the stopped connection's actor ref is still reachable");
    }

    /// <summary>
    /// A connection attached to a stage (so registered with the sweep), then stopped; the probe that
    /// stood in for its stage is stopped too, so its queue of messages from the connection is gone.
    /// Returns a weak reference to the connection's actor ref.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private async Task<WeakReference> StartAndStopConnectionAsync()
    {
        var stage = CreateTestProbe();
        var connection = Sys.ActorOf(ConnectionActor.Props(Settings.Connection, new RuntimeSettingsSource(Settings.Runtime), ActorRefs.Nobody, Routes(ActorRefs.Nobody, Settings), "test"));
        connection.Tell(new ConnectionStage.Attached(stage.Ref));
        Assert.True(await connection.GracefulStop(TimeSpan.FromSeconds(10))); // after the Attached: mailbox order
        Assert.True(await stage.Ref.GracefulStop(TimeSpan.FromSeconds(10)));
        return new WeakReference(connection);
    }

    [Fact]
    public void Frames_that_arrive_before_the_stage_is_attached_are_handled_once_it_is()
    {
        var stage = CreateTestProbe("stage");
        var users = CreateTestProbe().Ref;
        var connection = Sys.ActorOf(ConnectionActor.Props(Settings.Connection, new RuntimeSettingsSource(Settings.Runtime), users, Routes(users, Settings), "test"));

        connection.Tell(Received(new Ping { Nonce = 3 }));
        connection.Tell(new ConnectionStage.Attached(stage.Ref));

        Assert.Equal(3UL, ExpectFrame<Pong>(stage).Nonce);
        ExpectHandled(stage);
    }

    [Fact]
    public void Any_server_to_client_message_a_module_actor_sends_a_logged_in_connection_is_written()
    {
        var (connection, stage, _) = OpenLoggedIn();

        connection.Tell(new TypingNotify { From = Alice });

        Assert.Equal(Alice, ExpectFrame<TypingNotify>(stage).From);
    }

    [Fact]
    public void A_client_to_server_message_sent_to_a_logged_in_connection_is_not_written()
    {
        var (connection, stage, _) = OpenLoggedIn();

        connection.Tell(new Send { ClientMsgId = "c-1", To = Alice });
        connection.Tell(new TypingNotify { From = Alice });

        Assert.Equal(Alice, ExpectFrame<TypingNotify>(stage).From); // the SEND was not written before it
    }

    // ---- the user directory ----

    [Fact]
    public void A_send_to_a_number_the_directory_does_not_know_is_not_found_without_waking_its_user_actor()
    {
        var (connection, stage, users) = OpenLoggedIn();

        connection.Tell(Received(new Send { ClientMsgId = "c-9", To = "+14155550199", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));

        ExpectHandled(stage);
        var error = ExpectFrame<Error>(stage);
        Assert.Equal((ErrorCode.NotFound, "c-9"), (error.ErrorCode, error.Ref));
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_send_to_a_number_found_in_the_table_but_not_the_cache_reaches_its_user_actor()
    {
        var directory = KnownUsers();
        directory.Add(new DirectoryEntry("+14155550199", 1, [DeviceTokens.Hash(new byte[] { 2 })]), cached: false);
        var (connection, _, users) = OpenLoggedIn(directory: directory);

        connection.Tell(Received(new Send { ClientMsgId = "c-9", To = "+14155550199", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));

        Assert.Equal("+14155550199", users.ExpectMsg<SubmitMessage>().Phone);
        Assert.Equal(1, directory.Lookups);
    }

    [Fact]
    public void An_unconfirmed_directory_entry_is_handed_to_its_user_actor_to_confirm()
    {
        var directory = KnownUsers();
        directory.Add(new DirectoryEntry("+14155550199", 1, [DeviceTokens.Hash(new byte[] { 2 })], Confirmed: false), cached: false);
        var (connection, _, users) = OpenLoggedIn(directory: directory);

        connection.Tell(Received(new Send { ClientMsgId = "c-9", To = "+14155550199", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("hi") }));

        Assert.Equal("+14155550199", users.ExpectMsg<ConfirmDirectoryEntry>().Phone);
        Assert.Equal("+14155550199", users.ExpectMsg<SubmitMessage>().Phone);
    }

    [Fact]
    public void Frames_after_a_send_that_waits_for_the_directory_are_handled_after_it_in_order()
    {
        var directory = KnownUsers();
        directory.Add(new DirectoryEntry("+14155550199", 1, [DeviceTokens.Hash(new byte[] { 2 })]), cached: false);
        var (connection, stage, users) = OpenLoggedIn(directory: directory);
        directory.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        connection.Tell(Received(new Send { ClientMsgId = "c-1", To = "+14155550199", Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("first") }));
        connection.Tell(Received(new Send { ClientMsgId = "c-2", To = Alice, Kind = (uint)MessageKind.Text, Body = ByteString.CopyFromUtf8("second") }));
        ExpectHandled(stage);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the second waits behind the first
        directory.Gate.SetResult();

        Assert.Equal("c-1", users.ExpectMsg<SubmitMessage>().ClientMsgId);
        Assert.Equal("c-2", users.ExpectMsg<SubmitMessage>().ClientMsgId);
        ExpectHandled(stage);
    }

    [Fact]
    public void A_login_with_a_number_the_directory_does_not_know_fails_without_waking_its_user_actor()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new AuthLogin { Phone = "+14155550199", Token = ByteString.CopyFrom(new byte[32]) }));

        ExpectHandled(stage);
        Assert.Equal(ErrorCode.AuthFailed, ExpectFrame<Error>(stage).ErrorCode);
        stage.ExpectMsg<ConnectionStage.Close>();
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_login_with_a_token_the_directory_does_not_hold_fails_without_waking_the_user_actor()
    {
        var (connection, stage, users) = Open();

        connection.Tell(Received(new AuthLogin { Phone = Alice, Token = ByteString.CopyFrom(new byte[32]) }));

        ExpectHandled(stage);
        Assert.Equal(ErrorCode.AuthFailed, ExpectFrame<Error>(stage).ErrorCode);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    // ---- helpers ----

    private (IActorRef Connection, TestProbe Stage, TestProbe Users) Open(RuntimeSettingsSource? runtime = null, AkkaChatSettings? settings = null, IUserDirectory? directory = null)
    {
        var stage = CreateTestProbe("stage");
        var users = CreateTestProbe("users");
        var connection = Sys.ActorOf(ConnectionActor.Props(
            (settings ?? Settings).Connection, runtime ?? new RuntimeSettingsSource(Settings.Runtime), users.Ref, Routes(users.Ref, settings ?? Settings, directory), "test"));
        connection.Tell(new ConnectionStage.Attached(stage.Ref));
        return (connection, stage, users);
    }

    /// <summary>A connection logged in as <see cref="Me"/>, with the login's frames already consumed.</summary>
    private (IActorRef Connection, TestProbe Stage, TestProbe Users) OpenLoggedIn(RuntimeSettingsSource? runtime = null, AkkaChatSettings? settings = null, IUserDirectory? directory = null)
    {
        var (connection, stage, users) = Open(runtime, settings, directory);
        connection.Tell(Received(new AuthLogin { Phone = Me, Token = ByteString.CopyFrom(new byte[32]) }));
        users.ExpectMsg<Login>();
        ExpectHandled(stage);
        users.Reply(new AuthOk { Node = "n1" });
        ExpectFrame<AuthOk>(stage);
        return (connection, stage, users);
    }

    /// <summary>
    /// The node's routing table, its modules talking to <paramref name="users"/> as the user shard
    /// region and reading <paramref name="directory"/> (by default: <see cref="Me"/> with the
    /// tokens these tests log in with, and <see cref="Alice"/>, both cached).
    /// </summary>
    internal static FrameRoutes Routes(IActorRef users, AkkaChatSettings settings, IUserDirectory? directory = null)
    {
        var registry = new ActorRegistry();
        registry.Register<UserShard>(users);
        directory ??= KnownUsers();
        return FrameRoutes.Build([new SessionsModule(), new RegistrationModule(directory, settings), new InboxModule(settings, directory)], registry);
    }

    private static InMemoryUserDirectory KnownUsers()
    {
        var directory = new InMemoryUserDirectory();
        var zeros = DeviceTokens.Hash(new byte[32]);
        var counting = DeviceTokens.Hash(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        directory.Add(new DirectoryEntry(Me, 1, [zeros, counting]));
        directory.Add(new DirectoryEntry(Alice, 1, [DeviceTokens.Hash(new byte[] { 1 })]));
        return directory;
    }

    private static ConnectionStage.FrameReceived Received(IMessage message) => new(Frame.Of(message));

    /// <summary>The next thing the actor gives its stage is one frame of type <typeparamref name="T"/>.</summary>
    private static T ExpectFrame<T>(TestProbe stage, TimeSpan? timeout = null)
        where T : IMessage
    {
        var outgoing = stage.ExpectMsg<ConnectionStage.Outgoing>(timeout);
        var frame = FrameReader.ReadSingle(outgoing.Bytes.ToArray());
        return Assert.IsType<T>(frame.Message);
    }

    private static void ExpectHandled(TestProbe stage) => stage.ExpectMsg<ConnectionStage.FrameHandled>();
}
