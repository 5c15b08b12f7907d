using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace AkkaChat.Node.Transport;

/// <summary>
/// Diagnostic only (<c>akkachat.transport.diagnostic-heap-file</c>): lets a memory bench read the
/// node's managed heap after a full, compacting collection. The bench creates <c>FILE.request</c>;
/// the node (checking once a second, only while the key is set) collects, writes
/// "managed_heap_bytes rss_bytes" to FILE and deletes the request.
/// </summary>
public static class HeapReport
{
    public static string RequestFile(string file) => file + ".request";

    /// <summary>Answers a pending request, if there is one.</summary>
    public static void AnswerIfRequested(string file)
    {
        var request = RequestFile(file);
        if (!File.Exists(request))
        {
            return;
        }

        var heap = CollectFully();
        var rss = Process.GetCurrentProcess().WorkingSet64;
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture, $"{heap} {rss}\n"));
        File.Move(temporary, file, overwrite: true);
        File.Delete(request);
    }

    /// <summary>A blocking, compacting collection of every generation (large objects too); the live heap after it.</summary>
    public static long CollectFully()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }
}
