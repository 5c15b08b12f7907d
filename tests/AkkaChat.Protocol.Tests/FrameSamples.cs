using AkkaChat.Protocol.Messages;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace AkkaChat.Protocol.Tests;

/// <summary>
/// One payload per frame type with a non-default value in every field, nested and repeated ones
/// included, so that a round trip exercises every field number of the contract.
/// </summary>
internal static class FrameSamples
{
    private static ByteString Bytes(params byte[] bytes) => ByteString.CopyFrom(bytes);

    private static SignedPreKey SignedPreKey() => new() { Id = 7, PublicKey = Bytes(0x05, 0x11, 0x22), Signature = Bytes(0x5A, 0x5B) };

    public static IReadOnlyList<IMessage> All { get; } =
    [
        new AuthRequestCode { Phone = "+15550001" },
        new AuthVerify { Phone = "+15550001", Code = "123456", DeviceName = "pixel" },
        new AuthLogin { Phone = "+15550001", Token = Bytes(0xDE, 0xAD, 0xBE, 0xEF) },
        new Ping { Nonce = ulong.MaxValue },
        new Send { ClientMsgId = "c-1", To = "g:family", Kind = (uint)MessageKind.Image, Body = Bytes(0x00, 0xFF), MediaId = "m-9" },
        new Ack { UpToSeq = 300 },
        new Read { From = "+15550002", ServerMsgIds = { "0192aa", "0192ab" } },
        new Typing { To = "+15550002", State = (uint)TypingState.Recording },
        new PresenceSubscribe { Phones = { "+15550002", "+15550003" } },
        new ContactsSync { Phones = { "+15550004", "+15550005" } },
        new GroupCreate { RequestId = "r-1", Subject = "Family \u2764", Members = { "+15550002", "+15550003" } },
        new GroupUpdate
        {
            RequestId = "r-2", GroupId = "family", Add = { "+15550004" }, Remove = { "+15550003" },
            Promote = { "+15550002" }, Subject = "Family", Leave = true,
        },
        new GroupGet { RequestId = "r-3", GroupId = "family" },
        new StatusPost { RequestId = "r-4", Kind = (uint)MessageKind.Video, Body = Bytes(0x01), MediaId = "m-10" },
        new KeysUpload
        {
            IdentityKey = Bytes(0x05, 0x01),
            SignedPrekey = SignedPreKey(),
            OneTimePrekeys = { new PreKey { Id = 1, PublicKey = Bytes(0x05, 0xA1) }, new PreKey { Id = 2, PublicKey = Bytes(0x05, 0xA2) } },
        },
        new KeysFetch { Phone = "+15550002" },
        new AuthCodeSent { ExpiresInS = 600, DevCode = "654321" },
        new AuthOk { Token = Bytes(0x01, 0x02, 0x03), ServerTimeMs = 1_700_000_000_000, Node = "node-a", Pending = 12 },
        new Pong { Nonce = 42, ServerTimeMs = -1 },
        new Error { Code = (uint)ErrorCode.NotFound, Message = "no such user", Ref = "c-1" },
        new SendAck { ClientMsgId = "c-1", ServerMsgId = "0192a5f0c0de7000800000000000abcd", ServerTimeMs = 1_700_000_000_001 },
        new Deliver
        {
            Seq = 1, ServerMsgId = "0192aa", From = "+15550001", GroupId = "family", Kind = (uint)MessageKind.Text,
            Body = Bytes(0x68, 0x69), MediaId = "m-1", SentAtMs = 1_700_000_000_002,
        },
        new Receipt
        {
            Seq = 2, ServerMsgId = "0192aa", ClientMsgId = "c-1", Status = (uint)ReceiptStatus.Read, By = "+15550002",
            AtMs = 1_700_000_000_003, GroupId = "family",
        },
        new TypingNotify { From = "+15550001", State = (uint)TypingState.Composing, GroupId = "family" },
        new Presence { Phone = "+15550001", Online = true, LastSeenMs = 1_700_000_000_004 },
        new ContactsResult { Registered = { "+15550002", "+15550003" } },
        new GroupInfo
        {
            Seq = 3, RequestId = "r-1", GroupId = "family", Subject = "Family",
            Members = { new GroupMember { Phone = "+15550001", Admin = true }, new GroupMember { Phone = "+15550002", Admin = true } },
            Version = 4,
        },
        new StatusUpdate
        {
            Seq = 5, From = "+15550001", StatusId = "s-1", Kind = (uint)MessageKind.Location, Body = Bytes(0x2A),
            MediaId = "m-2", PostedAtMs = 1_700_000_000_005, ExpiresAtMs = 1_700_086_400_005,
        },
        new KeyBundle
        {
            Phone = "+15550002", IdentityKey = Bytes(0x05, 0x02), SignedPrekey = SignedPreKey(),
            OneTimePrekey = new PreKey { Id = 9, PublicKey = Bytes(0x05, 0xB9) }, Remaining = 8,
        },
        new KeysLow { Remaining = 3 },
    ];

    /// <summary>The names of the fields of <paramref name="message"/> (nested ones dotted) that hold their default value.</summary>
    public static IEnumerable<string> FieldsAtDefault(IMessage message, string prefix = "")
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var name = prefix + field.Name;
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                var items = ((System.Collections.IEnumerable)value).Cast<object>().ToList();
                if (items.Count == 0)
                {
                    yield return name;
                }

                foreach (var nested in items.OfType<IMessage>().SelectMany((item, i) => FieldsAtDefault(item, $"{name}[{i}].")))
                {
                    yield return nested;
                }
            }
            else if (field.FieldType == FieldType.Message)
            {
                if (value is IMessage nestedMessage)
                {
                    foreach (var nested in FieldsAtDefault(nestedMessage, name + "."))
                    {
                        yield return nested;
                    }
                }
                else
                {
                    yield return name;
                }
            }
            else if (IsDefaultScalar(value))
            {
                yield return name;
            }
        }
    }

    private static bool IsDefaultScalar(object value) => value switch
    {
        string text => text.Length == 0,
        ByteString bytes => bytes.IsEmpty,
        bool flag => !flag,
        _ => Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture) == 0,
    };
}
