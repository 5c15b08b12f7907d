using System.Text.Json;

namespace AkkaChat.Client.Encryption;

/// <summary>What this device knows about one peer: the identity it trusts and its sessions, the current one first.</summary>
internal sealed class PeerRecord
{
    public byte[]? TrustedIdentity { get; set; }
    public List<RatchetSession> Sessions { get; set; } = [];
}

/// <summary>
/// Everything end-to-end encryption keeps on a device, as one document: the identity key pair,
/// the signed prekeys (the newest last, older ones kept for envelopes still in flight), the
/// one-time prekeys not used yet, and per peer the trusted identity and sessions.
/// </summary>
internal sealed class E2eState
{
    public int Version { get; set; } = 1;
    public string Phone { get; set; } = "";
    public IdentityKeyPair Identity { get; set; } = null!;
    public List<SignedPreKeyRecord> SignedPreKeys { get; set; } = [];
    public List<OneTimePreKeyRecord> OneTimePreKeys { get; set; } = [];
    public uint NextPreKeyId { get; set; } = 1;
    public Dictionary<string, PeerRecord> Peers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Keeps <see cref="E2eState"/> in one JSON file (private keys included, base64), readable by its
/// owner only: on Unix the file is created with mode 0600. Every save writes a temporary file
/// next to it, flushes it to disk and renames it over the old one, so a crash leaves either the
/// old or the new state, never a torn one.
/// </summary>
internal static class SessionStore
{
    public const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public static E2eState? Load(string path)
    {
        if (!File.Exists(path)) return null;
        var state = JsonSerializer.Deserialize<E2eState>(File.ReadAllBytes(path), Json)
            ?? throw new InvalidDataException($"{path} holds no encryption state.");
        if (state.Version != FormatVersion)
            throw new InvalidDataException($"{path} is encryption state version {state.Version}; this SDK reads version {FormatVersion}.");
        state.Peers = new Dictionary<string, PeerRecord>(state.Peers, StringComparer.Ordinal);
        return state;
    }

    public static void Save(string path, E2eState state)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, Json);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary, options))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
