using Akka.Actor;
using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;

namespace AkkaChat.Node.Management;

/// <summary>A group of management commands (<c>cluster</c>, <c>log</c>, ...), advertised in the hello.</summary>
public interface IPalette
{
    PaletteSpec Spec { get; }

    /// <summary>Runs one command, writing its output line by line. Throws <see cref="CommandException"/> for a failure the operator should read.</summary>
    Task RunAsync(ParsedCommand command, Func<string, Task> writeLine, CancellationToken cancel);
}

/// <summary>What the palettes reach on their node.</summary>
public sealed record ManagementContext(
    ActorSystem System,
    AkkaChatSettings Settings,
    ManagementSettings Management,
    RuntimeSettingsSource Runtime,
    LogBuffer Log,
    ConfigFile? ConfigFile,
    IActorRef Peer)
{
    /// <summary>How long a command waits for an actor it asks (akkachat.management.ask-timeout).</summary>
    public TimeSpan AskTimeout => Management.AskTimeout;
}

internal static class Specs
{
    public static CommandSpec Command(string name, string description, params string[] arguments) => new(name, description, arguments, []);

    public static CommandSpec WithOptions(this CommandSpec spec, params OptionSpec[] options) => spec with { Options = options };

    public static CommandSpec Streaming(this CommandSpec spec) => spec with { Streaming = true };
}
