namespace AkkaChat.TestKit;

/// <summary>
/// Distinct E.164 phone numbers, so tests sharing a node or a cluster never share a user. Numbers
/// start at a random point per test process, so runs against a long-lived node do not collide either.
/// </summary>
public static class TestPhones
{
    private static int _next = Random.Shared.Next(1_000_000, 9_000_000);

    /// <summary>A number never handed out before in this process: +1555 and seven digits.</summary>
    public static string New() => "+1555" + Interlocked.Increment(ref _next).ToString("D7");
}
