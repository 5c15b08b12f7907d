using AkkaChat.Node.Management;

namespace AkkaChat.Pbm.Tests;

public class CommandParserTests
{
    private static readonly PaletteSpec[] Palettes =
    [
        new("cluster", "", [new("show", "", [], []), new("join", "", ["ADDR"], [])]),
        new("cluster-sharding", "", [new("region-stats", "", [], [new("-r", "TYPE", "")])]),
        new("akkachat", "", [new("config show", "", [], []), new("config reload", "", [], []), new("msg trace", "", ["SERVER_MSG_ID"], [])]),
    ];

    [Fact]
    public void A_command_with_an_option_is_parsed_into_its_value()
    {
        var parsed = CommandParser.Parse(["cluster-sharding", "region-stats", "-r", "user"], Palettes);
        Assert.Equal("region-stats", parsed.Spec.Name);
        Assert.Equal("user", parsed.Option("-r"));
    }

    [Fact]
    public void A_command_name_of_several_words_is_matched_with_its_argument()
    {
        var parsed = CommandParser.Parse(["akkachat", "msg", "trace", "0193abc"], Palettes);
        Assert.Equal("msg trace", parsed.Spec.Name);
        Assert.Equal(["0193abc"], parsed.Arguments);
        Assert.Equal("config reload", CommandParser.Parse(["akkachat", "config", "reload"], Palettes).Spec.Name);
    }

    [Fact]
    public void A_missing_argument_is_refused_with_the_usage()
    {
        var e = Assert.Throws<CommandException>(() => CommandParser.Parse(["cluster", "join"], Palettes));
        Assert.Equal("usage: cluster join ADDR", e.Message);
    }

    [Fact]
    public void An_unknown_palette_command_or_option_is_refused_naming_what_exists()
    {
        Assert.Contains("palettes: cluster, cluster-sharding, akkachat", Assert.Throws<CommandException>(() => CommandParser.Parse(["clstr", "show"], Palettes)).Message);
        Assert.Contains("commands: show, join", Assert.Throws<CommandException>(() => CommandParser.Parse(["cluster", "sho"], Palettes)).Message);
        Assert.Contains("has no option -x (options: -r)", Assert.Throws<CommandException>(() => CommandParser.Parse(["cluster-sharding", "region-stats", "-x", "1"], Palettes)).Message);
        Assert.Contains("needs a value", Assert.Throws<CommandException>(() => CommandParser.Parse(["cluster-sharding", "region-stats", "-r"], Palettes)).Message);
    }
}
