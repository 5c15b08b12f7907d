using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit;
using AkkaChat.Node.Auth;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Contracts;
using AkkaChat.Node.Hosting;
using AkkaChat.Node.Tests.Support;
using AkkaChat.Node.UserDirectory;
using AkkaChat.Node.Users;
using AkkaChat.Protocol;
using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using Xunit.Abstractions;

namespace AkkaChat.Node.Tests.Users;

/// <summary>
/// A UserActor over Akka.Persistence.TestKit's journal, which fails or rejects writes on demand:
/// what a sender sees when its message cannot be stored, and that nothing acknowledged is lost.
/// </summary>
public sealed class JournalFailureTests : Akka.TestKit.Xunit2.TestKit
{
    private const string Me = "+14155550100";
    private const string Alice = "+447700900123";

    private static readonly AkkaChatSettings Settings = TestSettings.Create();

    private readonly InMemoryUserDirectory _directory = new();
    private readonly CapturingSmsSender _sms = new();
    private readonly TestProbe _users;
    private readonly ITestJournal _journal;

    public JournalFailureTests(ITestOutputHelper output)
        : base(TestJournalConfig(), output: output)
    {
        _users = CreateTestProbe("users");
        _journal = TestJournal.FromRef(Persistence.Instance.Apply(Sys).JournalFor("akka.persistence.journal.test"));
    }

    private static Config TestJournalConfig() =>
        ConfigurationFactory.ParseString("akka.actor.provider = local")
            .WithFallback(ConfigurationFactory.FromResource<TestJournal>("Akka.Persistence.TestKit.config.conf"))
            .WithFallback(NodeConfig.AkkaConfig(Settings));

    [Fact]
    public async Task A_send_whose_event_the_journal_fails_to_write_gets_an_error_and_no_send_ack()
    {
        var alice = StartUser(Alice);
        Register(alice, Alice);
        var sender = CreateTestProbe();
        alice.Tell(Submit("c-1", "stored"), sender.Ref);
        sender.ExpectMsg<SendAck>();

        await _journal.OnWrite.Fail();
        alice.Tell(Submit("c-2", "lost"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal((ErrorCode.Internal, "c-2"), (error.ErrorCode, error.Ref));
        sender.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // never a SEND_ACK for it
    }

    [Fact]
    public async Task A_send_whose_event_the_journal_rejects_gets_an_error_and_no_send_ack()
    {
        var alice = StartUser(Alice);
        Register(alice, Alice);
        var sender = CreateTestProbe();

        await _journal.OnWrite.Reject();
        alice.Tell(Submit("c-1", "rejected"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal((ErrorCode.Internal, "c-1"), (error.ErrorCode, error.Ref));
        sender.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task After_a_failed_write_every_acknowledged_message_is_still_delivered_and_the_failed_one_can_be_sent_again()
    {
        var alice = StartUser(Alice);
        var token = Register(alice, Alice);
        var sender = CreateTestProbe();
        alice.Tell(Submit("c-1", "first"), sender.Ref);
        var firstAck = sender.ExpectMsg<SendAck>();

        await _journal.OnWrite.Fail();
        Watch(alice);
        alice.Tell(Submit("c-2", "second"), sender.Ref);
        sender.ExpectMsg<Error>();
        ExpectTerminated(alice); // a failed write stops the actor: its state never outlives a lost write

        await _journal.OnWrite.Pass();
        var recovered = StartUser(Alice);
        recovered.Tell(Submit("c-2", "second"), sender.Ref);
        var secondAck = sender.ExpectMsg<SendAck>();

        var session = CreateTestProbe();
        recovered.Tell(new Login { Phone = Alice, Token = token }, session.Ref);
        session.ExpectMsg<AuthOk>();
        var delivered = new[] { session.ExpectMsg<Deliver>(), session.ExpectMsg<Deliver>() };
        Assert.Equal([firstAck.ServerMsgId, secondAck.ServerMsgId], delivered.Select(d => d.ServerMsgId));
        Assert.Equal(["first", "second"], delivered.Select(d => d.Body.ToStringUtf8()));
    }

    [Fact]
    public async Task A_send_whose_write_the_full_journal_queue_refuses_gets_overloaded_with_its_ref_no_send_ack_and_succeeds_when_sent_again()
    {
        var alice = StartUser(Alice);
        var token = Register(alice, Alice);
        var sender = CreateTestProbe();
        alice.Tell(Submit("c-1", "first"), sender.Ref);
        var firstAck = sender.ExpectMsg<SendAck>();

        // What Akka.Persistence.Sql raises when storage.journal.buffer-size rows already wait.
        await _journal.OnWrite.SetInterceptorAsync(new Throwing(() =>
            new Exception("Failed to enqueue journal row batch write, the queue buffer was full (1 elements)")));
        Watch(alice);
        alice.Tell(Submit("c-2", "second"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal((ErrorCode.Overloaded, "c-2"), (error.ErrorCode, error.Ref));
        sender.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // never a SEND_ACK for it
        ExpectTerminated(alice);

        await _journal.OnWrite.Pass();
        var recovered = StartUser(Alice);
        recovered.Tell(Submit("c-2", "second"), sender.Ref);
        var secondAck = sender.ExpectMsg<SendAck>();

        var session = CreateTestProbe();
        recovered.Tell(new Login { Phone = Alice, Token = token }, session.Ref);
        session.ExpectMsg<AuthOk>();
        var delivered = new[] { session.ExpectMsg<Deliver>(), session.ExpectMsg<Deliver>() };
        Assert.Equal([firstAck.ServerMsgId, secondAck.ServerMsgId], delivered.Select(d => d.ServerMsgId));
        session.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // nothing else: the refused SEND was stored once, when sent again
    }

    [Fact]
    public async Task A_send_whose_write_the_open_journal_circuit_breaker_refuses_gets_overloaded_with_its_ref()
    {
        var alice = StartUser(Alice);
        Register(alice, Alice);
        var sender = CreateTestProbe();

        await _journal.OnWrite.SetInterceptorAsync(new Throwing(() => new Akka.Pattern.OpenCircuitException("Circuit Breaker is open; calls are failing fast")));
        alice.Tell(Submit("c-1", "refused"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal((ErrorCode.Overloaded, "c-1"), (error.ErrorCode, error.Ref));
        sender.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task A_send_whose_write_times_out_in_the_journal_circuit_breaker_gets_overloaded_with_its_ref()
    {
        var alice = StartUser(Alice);
        Register(alice, Alice);
        var sender = CreateTestProbe();

        await _journal.OnWrite.SetInterceptorAsync(new Throwing(() => new TimeoutException("Execution did not complete within the time allotted 10000 ms")));
        alice.Tell(Submit("c-1", "late"), sender.Ref);

        var error = sender.ExpectMsg<Error>();
        Assert.Equal((ErrorCode.Overloaded, "c-1"), (error.ErrorCode, error.Ref));
        sender.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Many_sends_refused_as_overloaded_are_logged_as_one_warning_and_no_error_line()
    {
        var users = Enumerable.Range(0, 20).Select(i => $"+4477009001{i:00}").Select(phone =>
        {
            var user = StartUser(phone);
            Register(user, phone);
            return (Phone: phone, Actor: user);
        }).ToList();
        await _journal.OnWrite.SetInterceptorAsync(new Throwing(() =>
            new Exception("Failed to enqueue journal row batch write, the queue buffer was full (1 elements)")));
        var sender = CreateTestProbe();

        await EventFilter.Error().ExpectAsync(0, async () =>
        {
            await EventFilter.Warning(contains: "ERROR{OVERLOADED}").ExpectAsync(1, async () =>
            {
                foreach (var (phone, user) in users)
                {
                    user.Tell(Submit("c-1", "refused", phone), sender.Ref);
                    Assert.Equal(ErrorCode.Overloaded, (await sender.ExpectMsgAsync<Error>()).ErrorCode);
                }
            });
        });
    }

    /// <summary>A write interceptor that fails every write with the exception <paramref name="cause"/> makes.</summary>
    private sealed class Throwing(Func<Exception> cause) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message) => Task.FromException(cause());
    }

    private IActorRef StartUser(string phone) =>
        Sys.ActorOf(UserActor.Props(phone, Settings, _users.Ref, _sms, _directory, TimeProvider.System));

    private ByteString Register(IActorRef user, string phone)
    {
        var session = CreateTestProbe();
        user.Tell(new RequestCode { Phone = phone }, session.Ref);
        session.ExpectMsg<AuthCodeSent>();
        user.Tell(new VerifyCode { Phone = phone, Code = _sms.LastCodeFor(phone), DeviceName = "phone" }, session.Ref);
        var token = session.ExpectMsg<AuthOk>().Token;
        Sys.Stop(session.Ref); // the session ends; later logins attach anew
        return token;
    }

    private static SubmitMessage Submit(string clientMsgId, string body, string to = Alice) => new()
    {
        Phone = to,
        From = Me,
        ClientMsgId = clientMsgId,
        Kind = (uint)MessageKind.Text,
        Body = ByteString.CopyFromUtf8(body),
    };
}
