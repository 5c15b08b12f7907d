using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AkkaChat.Protocol.Tests;

public sealed partial class PhoneNumberTests
{
    // \z rather than $: in .NET, $ also matches before a final "\n". [0-9] is ASCII only.
    [GeneratedRegex(@"^\+[0-9]{8,15}\z")]
    private static partial Regex E164();

    [Theory]
    [InlineData("+12345678")] // 8 digits, the minimum
    [InlineData("+123456789012345")] // 15 digits, the maximum
    [InlineData("+15550001")]
    [InlineData("+4915112345678")]
    [InlineData("+00000000")] // leading zeros are digits like any other
    public void A_plus_followed_by_8_to_15_ascii_digits_is_a_phone_number_kept_exactly_as_written(string text)
    {
        Assert.True(PhoneNumber.IsValid(text));
        Assert.True(PhoneNumber.TryParse(text, out var phone));
        Assert.Equal(text, phone.Value);
        Assert.Equal(text, phone.ToString());
        Assert.Equal(phone, PhoneNumber.Parse(text));
    }

    [Theory]
    [InlineData("+1234567")] // 7 digits
    [InlineData("+1234567890123456")] // 16 digits
    [InlineData("12345678")] // no '+'
    [InlineData("123456789")] // no '+', 9 characters
    [InlineData("++12345678")]
    [InlineData("+")]
    [InlineData("")]
    [InlineData("+1234567a")] // a letter
    [InlineData("+1234 5678")] // a space inside
    [InlineData("+1234-5678")] // a dash inside
    [InlineData(" +12345678")] // a leading space is not stripped
    [InlineData("+12345678 ")] // nor a trailing one
    [InlineData("+12345678\n")]
    [InlineData("+\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668")] // Arabic-Indic digits
    [InlineData("+1234567\u0668")] // one Arabic-Indic digit among ASCII ones
    [InlineData("+\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18")] // full-width digits
    [InlineData("+1234567\u00B2")] // superscript two
    [InlineData(null)]
    public void Anything_else_is_not_a_phone_number_and_parsing_it_is_a_bad_request(string? text)
    {
        Assert.False(PhoneNumber.IsValid(text));
        Assert.False(PhoneNumber.TryParse(text, out var phone));
        Assert.Equal(default, phone);
        Assert.Equal(ErrorCode.BadRequest, Assert.Throws<ProtocolException>(() => PhoneNumber.Parse(text)).Code);
    }

    /// <summary>Mostly ASCII digits behind a '+', with characters that look like digits or separators mixed in.</summary>
    private static readonly Arbitrary<string> PhoneLikeStrings =
        (from prefix in Gen.Elements("+", "+", "+", "", "++", " +", "00")
         from length in Gen.Choose(0, 18)
         from body in Gen.Frequency(
                 (20, Gen.Elements("0123456789".ToCharArray())),
                 (1, Gen.Elements(' ', '-', 'a', '+', '\n', '\u0661', '\uFF10', '\u00B2', '\u0966')))
             .ArrayOf(length)
         select prefix + new string(body))
        .ToArbitrary();

    [Property(MaxTest = 1000)]
    public void Every_string_accepted_as_a_phone_number_matches_the_e164_pattern(string? text)
    {
        if (PhoneNumber.TryParse(text, out var phone))
        {
            Assert.Matches(E164(), text);
            Assert.Equal(text, phone.Value);
        }
    }

    [Property(MaxTest = 2000)]
    public Property A_phone_like_string_is_accepted_exactly_when_it_matches_the_e164_pattern() =>
        Prop.ForAll(PhoneLikeStrings, text =>
            Prop.Classify(
                PhoneNumber.TryParse(text, out var phone) == E164().IsMatch(text) && (phone.Value is null || phone.Value == text),
                phone.Value is not null,
                "accepted"));
}
