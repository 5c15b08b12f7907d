using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using AkkaChat.Bench.Reporting;
using AkkaChat.Bench.Scenarios;

namespace AkkaChat.Bench.Features;

/// <summary>
/// media: --clients registered users upload --files files of --media-bytes each to
/// <c>POST /v1/media</c> on the node's web port, all clients at once and each one file after another,
/// then download every file with <c>GET /v1/media/{id}</c> and compare it byte for byte with what
/// was uploaded. Figures per direction: MB/s over the step, node CPU per MB and per request, and the
/// request latency (headers sent to the whole body read).
/// </summary>
public static class MediaScenario
{
    private const double Megabyte = 1024 * 1024;

    public static async Task RunAsync(FeatureRun run)
    {
        var webPort = run.Node.WebPort ?? throw new BenchSetupException("the node was started without a web port");
        var clients = await run.RegisterAsync(run.Options.Clients, "media clients");
        var files = run.Options.FilesPerClient;
        var size = run.Options.MediaBytes;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients.Length, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{webPort}/"),
            Timeout = run.Options.DrainTimeout,
        };

        // One content per client: its index in the first bytes, so a download served from another
        // client's file is caught by the comparison.
        var contents = clients.Select(c =>
        {
            var bytes = new byte[size];
            Random.Shared.NextBytes(bytes);
            BitConverter.TryWriteBytes(bytes.AsSpan(0, Math.Min(4, size)), c.Index);
            return bytes;
        }).ToArray();
        var ids = new string?[clients.Length, files];

        var upload = run.Latency("media.upload");
        var uploading = run.Progress.Start($"upload {clients.Length * files:N0} files of {size / Megabyte:0.##} MiB from {clients.Length:N0} clients", clients.Length * files);
        long uploaded = 0;
        var meter = run.Measure();
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var bearer = new AuthenticationHeaderValue("Bearer", $"{client.Phone}:{Convert.ToBase64String(client.Token.Span)}");
            for (var f = 0; f < files; f++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "v1/media") { Content = new ByteArrayContent(contents[c]) };
                    request.Headers.Authorization = bearer;
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    using var answer = await http.SendAsync(request, run.CancellationToken);
                    if (!answer.IsSuccessStatusCode)
                    {
                        run.Metrics.Error($"UPLOAD_{(int)answer.StatusCode}");
                        continue;
                    }

                    using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(run.CancellationToken));
                    ids[c, f] = json.RootElement.GetProperty("media_id").GetString();
                    upload.RecordBetween(started, Stopwatch.GetTimestamp());
                    uploading.Update(Interlocked.Increment(ref uploaded), $"{uploaded:N0} uploaded");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
                {
                    run.Metrics.Error("UPLOAD_FAILED");
                }
            }
        }, run.CancellationToken)));
        AddStep(run, meter, $"upload: {clients.Length:N0} clients x {files} files of {size:N0} B", clients.Length, uploaded, uploaded * (long)size, "media.upload");
        uploading.Complete($"{uploaded:N0} files");

        var download = run.Latency("media.download");
        var downloading = run.Progress.Start($"download {uploaded:N0} files", (int)uploaded);
        long downloaded = 0;
        meter = run.Measure();
        await Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            var bearer = new AuthenticationHeaderValue("Bearer", $"{client.Phone}:{Convert.ToBase64String(client.Token.Span)}");
            var buffer = new byte[size];
            for (var f = 0; f < files; f++)
            {
                if (ids[c, f] is not { } id)
                {
                    continue;
                }

                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/media/{id}");
                    request.Headers.Authorization = bearer;
                    using var answer = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, run.CancellationToken);
                    if (!answer.IsSuccessStatusCode)
                    {
                        run.Metrics.Error($"DOWNLOAD_{(int)answer.StatusCode}");
                        continue;
                    }

                    await using var body = await answer.Content.ReadAsStreamAsync(run.CancellationToken);
                    var length = 0;
                    int read;
                    while (length < size && (read = await body.ReadAsync(buffer.AsMemory(length), run.CancellationToken)) > 0)
                    {
                        length += read;
                    }

                    var extra = await body.ReadAsync(new byte[1], run.CancellationToken);
                    if (length != size || extra != 0 || !buffer.AsSpan().SequenceEqual(contents[c]))
                    {
                        run.Metrics.Error("DOWNLOAD_DIFFERS");
                        continue;
                    }

                    download.RecordBetween(started, Stopwatch.GetTimestamp());
                    downloading.Update(Interlocked.Increment(ref downloaded), $"{downloaded:N0} downloaded");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    run.Metrics.Error("DOWNLOAD_FAILED");
                }
            }
        }, run.CancellationToken)));
        AddStep(run, meter, $"download: {clients.Length:N0} clients x {files} files of {size:N0} B", clients.Length, downloaded, downloaded * (long)size, "media.download");
        downloading.Complete($"{downloaded:N0} files, each equal to its upload");

        run.Complete(clients);
        run.Report.Notes.Add("Every client runs its requests one after another, all clients at once, over one HTTP/1.1 connection each. "
            + "Each download is compared byte for byte with its upload. Node CPU per MB covers the HTTP handling, the Bearer check against the directory and the media store's writes or reads.");
    }

    private static void AddStep(FeatureRun run, StepMeter meter, string name, int clients, long files, long bytes, string measure)
    {
        var step = run.Measured(meter, files, measure);
        var megabytes = bytes / Megabyte;
        var node = step.NodeCpuSeconds;
        run.Add(step with
        {
            Name = name,
            Size = clients,
            Online = clients,
            Sent = (long)clients * run.Options.FilesPerClient,
            Acknowledged = files,
            Extra = new SortedDictionary<string, double>(StringComparer.Ordinal)
            {
                ["megabytes"] = Math.Round(megabytes, 2),
                ["megabytes_per_second"] = step.Seconds > 0 ? Math.Round(megabytes / step.Seconds, 1) : 0,
                ["node_cpu_ms_per_megabyte"] = node is { } nm && megabytes > 0 ? Math.Round(nm * 1e3 / megabytes, 2) : -1,
            },
        });
    }
}
