using AkkaChat.Node.Configuration;
using AkkaChat.Node.Hosting;

namespace AkkaChat.Node.Tests.Support;

/// <summary>Node settings for tests: the embedded defaults, with HOCON overrides on top.</summary>
internal static class TestSettings
{
    public static AkkaChatSettings Create(params string[] overrides) =>
        AkkaChatSettings.Create(NodeConfig.Load(null, overrides));

    /// <summary>A HOCON line setting <paramref name="key"/> to a quoted string.</summary>
    public static string Quoted(string key, string value) =>
        $"{key} = \"{value.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"";
}
