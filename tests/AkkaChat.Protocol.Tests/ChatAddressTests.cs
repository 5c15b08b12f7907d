using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AkkaChat.Protocol.Tests;

public sealed partial class ChatAddressTests
{
    private const string Id64 = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789_-_-_-";

    [GeneratedRegex(@"^(\+[0-9]{8,15}|g:[A-Za-z0-9_-]{1,64})\z")]
    private static partial Regex Address();

    [Theory]
    [InlineData("+12345678")]
    [InlineData("+123456789012345")]
    public void A_phone_number_is_a_user_address(string text)
    {
        Assert.True(ChatAddress.TryParse(text, out var address));

        Assert.True(address.IsUser);
        Assert.False(address.IsGroup);
        Assert.Equal(text, address.Value);
        Assert.Equal(PhoneNumber.Parse(text), address.Phone);
        Assert.Equal(ChatAddress.ForUser(PhoneNumber.Parse(text)), address);
        Assert.Throws<InvalidOperationException>(() => address.GroupId);
    }

    [Theory]
    [InlineData("g:a", "a")] // 1 character, the minimum
    [InlineData("g:" + Id64, Id64)] // 64 characters, the maximum
    [InlineData("g:Az09_-", "Az09_-")]
    [InlineData("g:-", "-")]
    [InlineData("g:12345678", "12345678")] // digits alone are a group id, not a phone number
    public void G_colon_and_1_to_64_letters_digits_underscores_or_dashes_is_a_group_address(string text, string groupId)
    {
        Assert.True(ChatAddress.TryParse(text, out var address));

        Assert.True(address.IsGroup);
        Assert.False(address.IsUser);
        Assert.Equal(text, address.Value);
        Assert.Equal(groupId, address.GroupId);
        Assert.Equal(ChatAddress.ForGroup(groupId), address);
        Assert.Throws<InvalidOperationException>(() => address.Phone);
    }

    [Theory]
    [InlineData("g:")] // empty group id
    [InlineData("g:" + Id64 + "x")] // 65 characters
    [InlineData("g:ab cd")]
    [InlineData("g:ab.cd")]
    [InlineData("g:ab/cd")]
    [InlineData("g:ab:cd")]
    [InlineData("g:caf\u00E9")] // a non-ASCII letter
    [InlineData("g:\u0661\u0662")] // non-ASCII digits
    [InlineData("g:+15550001")]
    [InlineData("g:abc\n")]
    [InlineData("G:abc")] // the prefix is lower case
    [InlineData("g;abc")]
    [InlineData("abc")]
    [InlineData("+1234567")] // 7 digits
    [InlineData("15550001")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_else_is_not_an_address_and_parsing_it_is_a_bad_request(string? text)
    {
        Assert.False(ChatAddress.TryParse(text, out var address));
        Assert.Equal(default, address);
        Assert.Equal(ErrorCode.BadRequest, Assert.Throws<ProtocolException>(() => ChatAddress.Parse(text)).Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData(Id64 + "x")]
    [InlineData("a b")]
    [InlineData(null)]
    public void A_group_address_cannot_be_built_from_an_invalid_group_id(string? groupId)
    {
        Assert.False(ChatAddress.IsValidGroupId(groupId));
        Assert.Throws<ArgumentException>(() => ChatAddress.ForGroup(groupId!));
    }

    [Fact]
    public void The_default_address_is_neither_a_user_nor_a_group()
    {
        var address = default(ChatAddress);

        Assert.False(address.IsUser);
        Assert.False(address.IsGroup);
        Assert.Equal(string.Empty, address.ToString());
    }

    /// <summary>Strings around both address forms, with lengths across the group id and phone number limits.</summary>
    private static readonly Arbitrary<string> AddressLikeStrings =
        (from prefix in Gen.Elements("g:", "g:", "+", "+", "", "G:", "g")
         from length in Gen.Choose(0, 70)
         from body in Gen.Frequency(
                 (10, Gen.Elements("0123456789".ToCharArray())),
                 (10, Gen.Elements("abcXYZ_-".ToCharArray())),
                 (1, Gen.Elements(' ', '.', ':', '+', '\n', '\u00E9', '\u0661')))
             .ArrayOf(length)
         select prefix + new string(body))
        .ToArbitrary();

    [Property(MaxTest = 2000)]
    public Property An_address_like_string_is_accepted_exactly_when_it_is_a_phone_number_or_g_colon_and_a_group_id() =>
        Prop.ForAll(AddressLikeStrings, text =>
            Prop.Classify(
                ChatAddress.TryParse(text, out var address) == Address().IsMatch(text) && (address.Value is null || address.Value == text),
                address.IsGroup,
                "group"));
}
