namespace AkkaChat.Pbm;

internal static class Invocation
{
    /// <summary>
    /// Where the address is among pbm's arguments: the first word that is neither an option of pbm
    /// nor an option's value. -1 when there is none (then System.CommandLine reports the missing
    /// address, or shows --help).
    /// </summary>
    public static int AddressIndex(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--token-file")
            {
                i++;
            }
            else if (!args[i].StartsWith('-'))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The token: from --token-file, else the PBM_TOKEN environment variable, else none.</summary>
    public static string? Token(FileInfo? file)
    {
        if (file is not null)
        {
            return file.Exists
                ? File.ReadAllText(file.FullName).Trim()
                : throw new PbmException($"token file {file.FullName} does not exist", ExitCodes.Usage);
        }

        return Environment.GetEnvironmentVariable("PBM_TOKEN") is { Length: > 0 } token ? token : null;
    }
}
