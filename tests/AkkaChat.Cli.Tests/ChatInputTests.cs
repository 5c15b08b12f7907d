using System.Text;
using AkkaChat.Cli;
using AkkaChat.Cli.Chat;

namespace AkkaChat.Cli.Tests;

/// <summary>The chat's input model: what a terminal user's keys do to the prompt row.</summary>
public sealed class ChatInputTests
{
    [Fact]
    public void A_pasted_66_KB_line_is_cut_at_the_limit_and_the_counter_says_it_is_full()
    {
        var limit = MessageLimits.MaxTextBytes("+15550002");
        var input = new ChatInput(limit);

        foreach (var c in new string('x', 66 * 1024))
        {
            input.Append(c);
        }

        var (visible, counter) = input.Row(80);
        Assert.Equal(limit, input.Bytes);
        Assert.Equal(limit, Encoding.UTF8.GetByteCount(input.Text));
        Assert.True(input.Full);
        Assert.Contains($"{MessageLimits.Format(limit)}/{MessageLimits.Format(limit)} bytes, full", counter);
        Assert.True(visible.Length + counter.Length <= 80, $"the row is {visible.Length + counter.Length} cells wide");
        Assert.StartsWith("…", visible);
    }

    [Fact]
    public void Multibyte_characters_count_their_utf8_bytes_against_the_limit()
    {
        var input = new ChatInput(10);

        foreach (var c in "ééééé" + "é") // 2 bytes each
        {
            input.Append(c);
        }

        Assert.Equal("ééééé", input.Text);
        Assert.Equal(10, input.Bytes);
        input.Backspace();
        Assert.Equal(8, input.Bytes);
        Assert.False(input.Full);
    }

    [Fact]
    public void A_surrogate_pair_is_added_and_removed_as_one_character_of_four_bytes()
    {
        var input = new ChatInput(100);

        foreach (var c in "a😀")
        {
            input.Append(c);
        }

        Assert.Equal(5, input.Bytes);
        input.Backspace();
        Assert.Equal("a", input.Text);
        Assert.Equal(1, input.Bytes);
    }

    [Fact]
    public void A_short_input_shows_whole_without_a_counter_and_a_long_one_shows_its_end_and_a_counter()
    {
        var input = new ChatInput(1000);
        foreach (var c in "hello")
        {
            input.Append(c);
        }

        Assert.Equal(("hello", string.Empty), input.Row(40));

        foreach (var c in new string('y', 100) + "END")
        {
            input.Append(c);
        }

        var (visible, counter) = input.Row(40);
        Assert.EndsWith("END", visible);
        Assert.Equal(" [108/1,000 bytes]", counter);
        Assert.True(visible.Length + counter.Length <= 40);
    }

    [Fact]
    public void Take_returns_the_text_and_leaves_the_input_empty()
    {
        var input = new ChatInput(100);
        input.Append('h');
        input.Append('i');

        Assert.Equal("hi", input.Take());
        Assert.Equal((0, string.Empty), (input.Bytes, input.Text));
    }
}

public sealed class WordWrapTests
{
    [Fact]
    public void Long_lines_break_at_spaces_not_inside_words()
    {
        var rows = WordWrap.Rows("08:03:50 you: the quick brown fox jumps over the lazy dog", 20);

        Assert.Equal(["08:03:50 you: the", "quick brown fox", "jumps over the lazy", "dog"], rows);
        Assert.All(rows, r => Assert.True(r.Length <= 20));
    }

    [Fact]
    public void A_word_longer_than_a_row_is_split_where_the_row_ends()
    {
        var rows = WordWrap.Rows("ab " + new string('x', 25), 10);

        Assert.Equal(["ab", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"], rows);
    }

    [Fact]
    public void A_line_that_fits_is_one_row()
    {
        Assert.Equal(["short line"], WordWrap.Rows("short line", 80));
    }
}

public sealed class ServerListTests
{
    [Fact]
    public void A_comma_separated_list_gives_every_server_in_order()
    {
        var list = ServerList.Parse("127.0.0.1:4701, 127.0.0.1:4702,[::1]:4703,node4");

        Assert.Equal(
            [new ServerAddress("127.0.0.1", 4701), new ServerAddress("127.0.0.1", 4702), new ServerAddress("::1", 4703), new ServerAddress("node4", 4700)],
            list.Servers);
        Assert.Equal("127.0.0.1:4701,127.0.0.1:4702,[::1]:4703,node4:4700", list.ToString());
    }

    [Fact]
    public void Moving_past_the_last_server_comes_back_to_the_first()
    {
        var list = ServerList.Parse("a:1,b:2");

        Assert.Equal(("a", "b", "a"), (list[0].Host, list[1].Host, list[2].Host));
    }

    [Fact]
    public void A_list_with_a_bad_entry_is_a_usage_error()
    {
        var error = Assert.Throws<CliException>(() => ServerList.Parse("a:1,b:99999"));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
    }
}

public sealed class MessageLimitsTests
{
    [Fact]
    public void The_largest_text_that_fits_sealed_in_the_largest_envelope_makes_a_send_frame_of_exactly_the_frame_limit()
    {
        var to = "+15550002";
        Assert.False(Invocation.Plaintext); // the default: every message is encrypted
        var envelope = MessageLimits.MaxTextBytes(to) + AkkaChat.Client.Encryption.Envelope.Overhead(AkkaChat.Client.Encryption.EnvelopeType.PreKey);

        Assert.Equal(AkkaChat.Protocol.ProtocolRules.MaxPayloadBytes, SendOf(to, envelope).CalculateSize());
    }

    [Fact]
    public void A_group_text_is_limited_by_the_frame_alone_here_and_by_every_members_envelope_in_the_sdk()
    {
        var to = "g:0123456789abcdef";
        Assert.Equal(AkkaChat.Protocol.ProtocolRules.MaxPayloadBytes, SendOf(to, MessageLimits.MaxTextBytes(to)).CalculateSize());
    }

    private static AkkaChat.Protocol.Messages.Send SendOf(string to, int bodyBytes) => new()
    {
        ClientMsgId = Guid.CreateVersion7().ToString("N"),
        To = to,
        Kind = 1,
        Body = Google.Protobuf.ByteString.CopyFrom(new byte[bodyBytes]),
    };
}
