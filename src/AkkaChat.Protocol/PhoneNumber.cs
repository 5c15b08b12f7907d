using System.Diagnostics.CodeAnalysis;

namespace AkkaChat.Protocol;

/// <summary>
/// A user's identity: a phone number in E.164 form, <c>+</c> then 8 to 15 ASCII digits, nothing
/// else (no spaces, dashes or leading zeros stripped). The validated string is the normal form:
/// equal numbers are equal strings, so the shard placement hash is stable.
/// </summary>
public readonly record struct PhoneNumber
{
    public const int MinDigits = 8;
    public const int MaxDigits = 15;

    private PhoneNumber(string value) => Value = value;

    public string Value { get; }

    public static bool IsValid([NotNullWhen(true)] string? text)
    {
        if (text is null || text.Length < MinDigits + 1 || text.Length > MaxDigits + 1 || text[0] != '+')
        {
            return false;
        }

        foreach (var c in text.AsSpan(1))
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out PhoneNumber phone)
    {
        phone = IsValid(text) ? new PhoneNumber(text) : default;
        return phone.Value is not null;
    }

    /// <summary>Parses or throws <see cref="ProtocolException"/> with BAD_REQUEST.</summary>
    public static PhoneNumber Parse(string? text) =>
        TryParse(text, out var phone)
            ? phone
            : throw new ProtocolException(ErrorCode.BadRequest, $"'{text}' is not an E.164 phone number (+ then 8 to 15 digits)");

    public override string ToString() => Value ?? string.Empty;
}
