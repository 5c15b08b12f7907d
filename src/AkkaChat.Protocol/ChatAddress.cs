using System.Diagnostics.CodeAnalysis;

namespace AkkaChat.Protocol;

/// <summary>
/// The <c>to</c> of a SEND or TYPING: a user (<see cref="PhoneNumber"/>) or a group (<c>g:</c> then
/// the group id). A group id is 1 to 64 characters from <c>[A-Za-z0-9_-]</c>; the server issues them.
/// </summary>
public readonly record struct ChatAddress
{
    public const string GroupPrefix = "g:";
    public const int MaxGroupIdLength = 64;

    private ChatAddress(string value, bool isGroup)
    {
        Value = value;
        IsGroup = isGroup;
    }

    /// <summary>The address exactly as written on the wire.</summary>
    public string Value { get; }

    public bool IsGroup { get; }

    public bool IsUser => !IsGroup && Value is not null;

    /// <summary>The phone number of a user address.</summary>
    public PhoneNumber Phone => IsUser ? PhoneNumber.Parse(Value) : throw new InvalidOperationException($"{Value} is not a user address");

    /// <summary>The group id (without <c>g:</c>) of a group address.</summary>
    public string GroupId => IsGroup ? Value[GroupPrefix.Length..] : throw new InvalidOperationException($"{Value} is not a group address");

    public static ChatAddress ForGroup(string groupId) =>
        IsValidGroupId(groupId) ? new ChatAddress(GroupPrefix + groupId, true) : throw new ArgumentException($"'{groupId}' is not a valid group id", nameof(groupId));

    public static ChatAddress ForUser(PhoneNumber phone) => new(phone.Value, false);

    public static bool IsValidGroupId([NotNullWhen(true)] string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxGroupIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out ChatAddress address)
    {
        address = default;
        if (text is null)
        {
            return false;
        }

        if (text.StartsWith(GroupPrefix, StringComparison.Ordinal))
        {
            if (!IsValidGroupId(text[GroupPrefix.Length..]))
            {
                return false;
            }

            address = new ChatAddress(text, true);
            return true;
        }

        if (!PhoneNumber.IsValid(text))
        {
            return false;
        }

        address = new ChatAddress(text, false);
        return true;
    }

    /// <summary>Parses or throws <see cref="ProtocolException"/> with BAD_REQUEST.</summary>
    public static ChatAddress Parse(string? text) =>
        TryParse(text, out var address)
            ? address
            : throw new ProtocolException(ErrorCode.BadRequest, $"'{text}' is neither an E.164 phone number nor a group address (g:id)");

    public override string ToString() => Value ?? string.Empty;
}
