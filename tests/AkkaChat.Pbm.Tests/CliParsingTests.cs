namespace AkkaChat.Pbm.Tests;

public class CliParsingTests
{
    private static readonly Palette[] Palettes =
    [
        new("cluster", "", [new("show", "", [], [], false), new("status", "", [], [], false), new("tail", "", [], [], true)]),
        new("cluster-sharding", "", [new("region-stats", "", [], [new("-r", "TYPE", "")], false), new("regions", "", [], [], false)]),
        new("akkachat", "", [new("config show", "", [], [], false), new("config reload", "", [], [], false), new("stats", "", [], [], false)]),
    ];

    private readonly Completer _completer = new(Palettes);

    [Fact]
    public void Tab_completes_a_palette_name_and_then_a_command()
    {
        Assert.Equal("cluster-sharding ", _completer.Complete("cluster-s"));
        Assert.Equal("cluster show ", _completer.Complete("cluster sh"));
        Assert.Equal(["show", "status", "tail"], _completer.Candidates("cluster "));
    }

    [Fact]
    public void Tab_completes_the_common_prefix_of_several_candidates()
    {
        Assert.Equal("cluster", _completer.Complete("clu"));
        Assert.Equal("cluster-sharding region", _completer.Complete("cluster-sharding r"));
        Assert.Equal("cluster s", _completer.Complete("cluster s"));
    }

    [Fact]
    public void Tab_completes_the_words_of_a_command_name_and_then_its_options()
    {
        Assert.Equal(["reload", "show"], _completer.Candidates("akkachat config "));
        Assert.Equal(["-r"], _completer.Candidates("cluster-sharding region-stats "));
        Assert.Empty(_completer.Candidates("cluster-sharding region-stats -r user -"));
    }

    [Fact]
    public void A_prompt_line_is_split_into_words_respecting_quotes_and_escapes()
    {
        Assert.Equal(["cluster", "join", "akka.tcp://akkachat@127.0.0.1:4711"], Words.Split("  cluster join   akka.tcp://akkachat@127.0.0.1:4711 "));
        Assert.Equal(["log", "peek", "a b", "c d"], Words.Split("log peek \"a b\" c\\ d"));
        Assert.Equal(ExitCodes.Usage, Assert.Throws<PbmException>(() => Words.Split("msg 'open")).ExitCode);
    }

    [Fact]
    public void The_address_is_the_first_word_that_is_not_an_option_of_pbm()
    {
        Assert.Equal(0, Invocation.AddressIndex(["127.0.0.1:9110", "cluster-sharding", "region-stats", "-r", "user"]));
        Assert.Equal(2, Invocation.AddressIndex(["--token-file", "/tmp/t", "127.0.0.1:9110", "cluster", "show"]));
        Assert.Equal(-1, Invocation.AddressIndex(["--help"]));
    }

    [Fact]
    public void Host_addresses_are_host_and_port_with_ipv6_in_brackets()
    {
        Assert.True(HostAddress.TryParse("127.0.0.1:9110", out var v4));
        Assert.Equal(new HostAddress("127.0.0.1", 9110), v4);
        Assert.True(HostAddress.TryParse("[::1]:9110", out var v6));
        Assert.Equal("::1", v6.Host);
        Assert.Equal("[::1]:9110", v6.ToString());
        Assert.False(HostAddress.TryParse("127.0.0.1", out _));
        Assert.False(HostAddress.TryParse("host:0", out _));
        Assert.False(HostAddress.TryParse(":9110", out _));
    }

    [Fact]
    public void Help_lists_every_command_with_its_arguments_and_options()
    {
        var lines = Help.Lines(Palettes).ToList();
        Assert.Contains(lines, l => l.TrimStart().StartsWith("cluster-sharding region-stats [-r TYPE]", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("akkachat config reload", StringComparison.Ordinal));
        Assert.Equal(3 + Palettes.Sum(p => p.Commands.Count), lines.Count);
    }
}
