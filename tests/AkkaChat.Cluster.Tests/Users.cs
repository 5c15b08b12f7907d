namespace AkkaChat.Cluster.Tests;

/// <summary>Distinct phone numbers per test.</summary>
public static class Users
{
    private static int _next = Random.Shared.Next(1_000_000, 9_000_000);

    public static string NewPhone() => "+1666" + Interlocked.Increment(ref _next).ToString("D7");
}
