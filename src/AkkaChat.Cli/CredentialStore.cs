using System.Text.Encodings.Web;
using System.Text.Json;
using AkkaChat.Client;
using AkkaChat.Protocol;

namespace AkkaChat.Cli;

/// <summary>
/// The users registered from this machine, one file per user:
/// <code>
/// $AKKACHAT_HOME (default ~/.akkachat)          mode 0700
///   credentials/                                  mode 0700
///     +15550001.json   {phone, token, server, device, registered_at}   mode 0600
///   default-user       the phone of the last registered user           mode 0600
/// </code>
/// The token logs the device in as that user, so nobody else may read the files. They are written
/// whole to a temporary file created with mode 0600 and then renamed over the old one.
/// </summary>
public sealed class CredentialStore
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "+15550001", not "\u002B15550001"

    };

    public CredentialStore(string home)
    {
        Home = home;
    }

    /// <summary>The store of this process: <c>$AKKACHAT_HOME</c>, or <c>~/.akkachat</c>.</summary>
    public static CredentialStore FromEnvironment()
    {
        var home = Environment.GetEnvironmentVariable("AKKACHAT_HOME");
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".akkachat");
        }

        return new CredentialStore(Path.GetFullPath(home));
    }

    public string Home { get; }

    public string CredentialsDirectory => Path.Combine(Home, "credentials");

    private string DefaultUserFile => Path.Combine(Home, "default-user");

    public string FileOf(string phone) => Path.Combine(CredentialsDirectory, phone + ".json");

    /// <summary>Stores a registered user and makes it the default user.</summary>
    public string Save(StoredUser user)
    {
        EnsurePrivateDirectory(Home);
        EnsurePrivateDirectory(CredentialsDirectory);
        var file = FileOf(user.Phone);
        WritePrivate(file, JsonSerializer.Serialize(user, Json));
        WritePrivate(DefaultUserFile, user.Phone + "\n");
        return file;
    }

    /// <summary>
    /// The user named by <paramref name="phone"/> (<c>--as</c>), or the default user. Throws
    /// <see cref="CliException"/> with a hint when there is none.
    /// </summary>
    public StoredUser Load(string? phone)
    {
        if (phone is null)
        {
            phone = File.Exists(DefaultUserFile) ? File.ReadAllText(DefaultUserFile).Trim() : null;
            if (string.IsNullOrEmpty(phone))
            {
                throw new CliException($"no registered user in {Home}: run 'akkachat register <phone>' first, or pass --as", ExitCodes.Usage);
            }
        }
        else if (!PhoneNumber.IsValid(phone))
        {
            throw new CliException(Phones.Invalid(phone), ExitCodes.Usage);
        }

        var file = FileOf(phone);
        if (!File.Exists(file))
        {
            throw new CliException($"no credentials for {phone} in {CredentialsDirectory}: run 'akkachat register {phone}' first", ExitCodes.Usage);
        }

        try
        {
            return JsonSerializer.Deserialize<StoredUser>(File.ReadAllText(file), Json)
                ?? throw new JsonException("empty file");
        }
        catch (JsonException e)
        {
            throw new CliException($"the credentials file {file} is damaged ({e.Message}); register {phone} again", ExitCodes.Usage);
        }
    }

    private static void EnsurePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path); // private by the user profile's ACLs
            return;
        }

        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, PrivateDirectory);
        }

        File.SetUnixFileMode(path, PrivateDirectory);
    }

    private static void WritePrivate(string path, string content)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, PrivateFile); // in case an older temporary file had other bits
        }

        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>One stored user: what <c>akkachat</c> needs to log in as them again. The token is stored as base64.</summary>
public sealed record StoredUser(string Phone, byte[] Token, string Server, string Device, DateTimeOffset RegisteredAt)
{
    public Credentials ToCredentials() => new(Phone, Token);

    public override string ToString() => $"StoredUser {{ Phone = {Phone}, Server = {Server} }}";
}

public static class Phones
{
    public static string Invalid(string text) => $"'{text}' is not a phone number in E.164 form (+ then 8 to 15 digits, e.g. +15550001)";

    /// <summary>The phone number, or a usage error.</summary>
    public static string Require(string text) =>
        PhoneNumber.IsValid(text) ? text : throw new CliException(Invalid(text), ExitCodes.Usage);
}
