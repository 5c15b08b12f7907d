namespace AkkaChat.EndToEnd.Tests;

/// <summary>Distinct phone numbers per test, so tests sharing a node never share a user.</summary>
public static class Users
{
    private static int _next = Random.Shared.Next(1_000_000, 9_000_000);

    public static string NewPhone() => "+1555" + Interlocked.Increment(ref _next).ToString("D7");
}
