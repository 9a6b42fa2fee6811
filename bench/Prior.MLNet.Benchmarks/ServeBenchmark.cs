using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Serve;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The serve part of <c>prior-bench</c>: <c>POST /v1/embed/image</c> of <c>prior serve</c> on 127.0.0.1 under 1, 8 and 64
/// concurrent clients (requests served per second, 200s only, with every other answer counted beside; p50 and p99
/// latency; mean batch; the median of three rounds with their range) against the same network's raw batched forward on
/// the same images decoded in memory, in the same run. Then <c>prior serve</c> in a process of its own: 64 clients again with
/// the CPU time of server and client apart, and an overload of four times the clients the server can hold (batch plus
/// queue) for a given time, the clients waiting a 503's Retry-After: every answer is a 200 or a 503, every request sent is
/// answered and the server's own counts agree, and the server's memory (resident, and its managed heap) is sampled to
/// show whether it stays flat. Last, the same clients ignoring Retry-After for up to a minute.
/// </summary>
internal static class ServeBenchmark
{
    public static void Run(string work, string preset, int overloadSeconds, Dictionary<string, object> figures)
    {
        var options = PriorModelOptions.FromPreset(preset);
        var (_, vocabulary) = MemoryBenchmark.Data(work, options.ImageSize);
        var paths = Directory
            .EnumerateFiles(Path.GetDirectoryName(vocabulary)!, "*.jpg", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Take(256)
            .ToList();
        var bodies = paths.Select(File.ReadAllBytes).ToList();
        random.manual_seed(1);
        var tokenizer = new ReportTokenizer(vocabulary, options.MaxTokens);
        // The embedding sized to the tokenizer's vocabulary: the overload's server loads the saved model, which checks it.
        using var model = new PriorModel(options, tokenizer.VocabularySize);
        model.eval();
        using var network = new PriorNetwork(model, tokenizer, usePrototypes: false);
        var preprocessor = network.ImagePreprocessor;
        var decoded = preprocessor.LoadAll(paths).Pixels.Select(p => p!).ToList();
        const int maxBatch = 32,
            maxQueue = 64;

        double Raw()
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < decoded.Count; i += maxBatch)
                network.EmbedImages(decoded.GetRange(i, Math.Min(maxBatch, decoded.Count - i)), local: false);
            return decoded.Count / clock.Elapsed.TotalSeconds;
        }
        double DecodeAndRaw()
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < paths.Count; i += maxBatch)
            {
                var batch = bodies.Skip(i).Take(maxBatch).Select(b => preprocessor.LoadBytes("bench", b)).ToList();
                network.EmbedImages(batch, local: false);
            }
            return paths.Count / clock.Elapsed.TotalSeconds;
        }
        var server = PriorServer
            .StartAsync(
                network,
                new ServeOptions
                {
                    Port = 0,
                    MaxBatch = maxBatch,
                    MaxQueue = maxQueue,
                }
            )
            .GetAwaiter()
            .GetResult();
        try
        {
            Console.WriteLine(
                $"prior serve, POST /v1/embed/image, {preset} preset ({options.ImageSize} px JPEGs), --max-batch {maxBatch} --max-queue "
                    + $"{maxQueue}, {get_num_threads()} torch threads, {Environment.ProcessorCount} cores, client in the same process:"
            );
            Raw();
            DecodeAndRaw(); // warm-up of both
            // Alternate the two, three times each; the median of each is reported with its range (the machine's noise
            // hits both alike), and ratios are of medians.
            var raws = new List<double>();
            var bounds = new List<double>();
            for (int r = 0; r < 3; r++)
            {
                raws.Add(Raw());
                bounds.Add(DecodeAndRaw());
            }
            double raw = Median(raws),
                bound = Median(bounds);
            Console.WriteLine($"  {"raw batched forward, images decoded in memory", -58} {Spread(raws)} images/s");
            Console.WriteLine($"  {"decode the uploaded bytes, then the batched forward", -58} {Spread(bounds)} images/s");
            foreach (int concurrency in new[] { 1, 8, 64 })
            {
                Load(server.Address, bodies, concurrency, Math.Max(256, concurrency * 32)); // warm-up
                var (sum0, count0) = Batches(server.Address);
                // Three rounds: the median of the requests served (200s only; any other answer is counted apart).
                var rounds = Enumerable
                    .Range(0, 3)
                    .Select(_ => Load(server.Address, bodies, concurrency, Math.Max(1024, concurrency * 64)))
                    .ToList();
                var (sum1, count1) = Batches(server.Address);
                var served = rounds.Select(r => r.Served).ToList();
                var middle = rounds.OrderBy(r => r.Served).ElementAt(rounds.Count / 2);
                var codes = Tally(rounds);
                double rate = Median(served);
                Console.WriteLine(
                    $"  {$"concurrency {concurrency}", -58} {Spread(served)} served/s   p50 {middle.P50 * 1000, 6:0.0} ms   p99 "
                        + $"{middle.P99 * 1000, 6:0.0} ms   served/raw {rate / raw:0.00} ({served.Min() / raw:0.00}–"
                        + $"{served.Max() / raw:0.00})   served/(decode+forward) {rate / bound:0.00}   "
                        + $"mean batch {(sum1 - sum0) / Math.Max(1, count1 - count0):0.0}   answers: {Codes(codes)}"
                );
                figures[$"serveRequestsPerSecond{concurrency}"] = rate;
                figures[$"serveRequestsPerSecond{concurrency}Min"] = served.Min();
                figures[$"serveRequestsPerSecond{concurrency}Max"] = served.Max();
                figures[$"serveNot200Answers{concurrency}"] = codes.Where(kv => kv.Key != 200).Sum(kv => kv.Value);
                figures[$"serveP50Ms{concurrency}"] = middle.P50 * 1000;
                figures[$"serveP99Ms{concurrency}"] = middle.P99 * 1000;
                if (concurrency == 64)
                {
                    figures["serveVsRaw64"] = rate / raw;
                    figures["serveVsRaw64Min"] = served.Min() / raw;
                    figures["serveVsRaw64Max"] = served.Max() / raw;
                    figures["serveVsDecodeAndForward64"] = rate / bound;
                }
            }

            figures["serveOverloadSeconds"] = overloadSeconds;
            Overload(work, network, bodies, maxBatch, maxQueue, raw, overloadSeconds, figures);
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    // Four times what the server can hold (batch plus queue), for the given time, against `prior serve` in a process of its
    // own: the memory sampled is the server's alone, not the load generator's latencies and buffers. Afterwards the
    // server's own counters (GET /metrics) are set beside the client's: every request it accepted was answered.
    private static void Overload(
        string work,
        PriorNetwork network,
        IReadOnlyList<byte[]> bodies,
        int maxBatch,
        int maxQueue,
        double raw,
        int seconds,
        Dictionary<string, object> figures
    )
    {
        var model = Path.Combine(work, "serve-bench-model.zip");
        network.Save(model);
        using var serving = ServeProcess.Start(model, "--max-batch", $"{maxBatch}", "--max-queue", $"{maxQueue}");
        var server = serving.Process;
        var address = serving.Address;
        using var metrics = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        long Served(string text, int status) =>
            (long)(Metric(text, $"prior_requests_total{{endpoint=\"/v1/embed/image\",status=\"{status}\"}}") ?? 0);
        Load(address, bodies, 64, 2048); // warm-up: the server's first batches, its JIT tiers, thread pool and allocator
        // 64 clients again, the server now in a process of its own: how the cores' time divides between the server
        // (HTTP, decode, the forward) and the client, which in a deployment runs on other machines.
        using var self = Process.GetCurrentProcess();
        server.Refresh();
        var (server0, client0) = (server.TotalProcessorTime, self.TotalProcessorTime);
        // Three rounds, as in the server's own process above: the median served (200s) with the range.
        var separateRounds = Enumerable.Range(0, 3).Select(_ => Load(address, bodies, 64, 4096)).ToList();
        var separateServed = separateRounds.Select(r => r.Served).ToList();
        double separate = Median(separateServed);
        var separateCodes = Tally(separateRounds);
        server.Refresh();
        self.Refresh();
        double serverCpu = (server.TotalProcessorTime - server0).TotalSeconds,
            clientCpu = (self.TotalProcessorTime - client0).TotalSeconds;
        Console.WriteLine(
            $"  {"concurrency 64, server in its own process", -58} {Spread(separateServed)} served/s   served/raw {separate / raw:0.00} "
                + $"({separateServed.Min() / raw:0.00}–{separateServed.Max() / raw:0.00})   CPU time: server {serverCpu:0.0} s, client "
                + $"{clientCpu:0.0} s ({clientCpu / (serverCpu + clientCpu):P0} the client's)   answers: {Codes(separateCodes)}"
        );
        figures["serveSeparateVsRaw64"] = separate / raw;
        figures["serveSeparateVsRaw64Min"] = separateServed.Min() / raw;
        figures["serveSeparateVsRaw64Max"] = separateServed.Max() / raw;
        figures["serveSeparateNot200Answers64"] = separateCodes.Where(kv => kv.Key != 200).Sum(kv => kv.Value);
        figures["serveClientCpuShare64"] = clientCpu / (serverCpu + clientCpu);
        var before = metrics.GetStringAsync("metrics").GetAwaiter().GetResult();

        int clients = 4 * (maxBatch + maxQueue);
        var resident = new List<(double Minutes, double MiB)>();
        var heap = new List<(double Minutes, double MiB)>();
        var since = Stopwatch.StartNew();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                // The working set read from outside, and the managed heap from the server's own gauge.
                server.Refresh();
                resident.Add((since.Elapsed.TotalMinutes, server.WorkingSet64 / 1048576.0));
                try
                {
                    var text = await metrics.GetStringAsync("metrics", sampling.Token);
                    var bytes = Metric(text, "dotnet_gc_heap_bytes") ?? throw new InvalidDataException("no dotnet_gc_heap_bytes");
                    heap.Add((since.Elapsed.TotalMinutes, bytes / 1048576.0));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    // An unanswered GET /metrics: a gap in the heap's samples (the resident one was read from outside).
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, seconds / 60.0)), sampling.Token);
                }
                catch (OperationCanceledException) { }
            }
        });
        var (rate, _, _, p99, codes) = Load(address, bodies, clients, 0, TimeSpan.FromSeconds(seconds), honourRetryAfter: true);
        sampling.Cancel();
        sampler.Wait();
        var after = metrics.GetStringAsync("metrics").GetAwaiter().GetResult();

        long sent = codes.Values.Sum();
        long unanswered = codes.GetValueOrDefault(-1);
        long others = codes.Where(kv => kv.Key is not 200 and not 503).Sum(kv => kv.Value);
        long accepted = Served(after, 200) - Served(before, 200);
        long rejected = Served(after, 503) - Served(before, 503);
        Console.WriteLine(
            $"  {$"overload: {clients} clients for {seconds} s, server in its own process", -58} {rate, 8:0.0} answers/s   served "
                + $"{codes.GetValueOrDefault(200) / (double)seconds:0.0}/s   p99 {p99 * 1000, 6:0.0} ms   {Codes(codes)}   "
                + $"other than 200/503: {others}   (clients wait the Retry-After of a 503)"
        );
        Console.WriteLine(
            $"  {"  requests sent / answered (client)", -58} {sent} / {sent - unanswered};   the server's counts: {accepted} × 200, "
                + $"{rejected} × 503 (the client's: {codes.GetValueOrDefault(200)} × 200, {codes.GetValueOrDefault(503)} × 503)"
        );
        var (residentSummary, heapSummary) = (Summary.Of(resident), Summary.Of(heap));
        Console.WriteLine($"  {"  server resident memory (MiB)", -58} {residentSummary} ({resident.Count} samples)");
        Console.WriteLine($"  {"  server managed heap (MiB)", -58} {heapSummary}");
        figures["serveOverloadOtherErrors"] = others;
        figures["serveOverloadUnanswered"] = unanswered;
        figures["serveOverloadRejected"] = codes.GetValueOrDefault(503);
        figures["serveOverloadServed"] = codes.GetValueOrDefault(200);
        figures["serveOverloadServerAccepted"] = accepted;
        figures["serveOverloadServerRejected"] = rejected;
        figures["serveOverloadResidentFirstTenthMiB"] = residentSummary.FirstTenth;
        figures["serveOverloadResidentLastTenthMiB"] = residentSummary.LastTenth;
        figures["serveOverloadResidentPeakMiB"] = residentSummary.Peak;
        figures["serveOverloadMemoryGrowthMiB"] = residentSummary.LastTenth - residentSummary.FirstTenth;
        figures["serveOverloadResidentSecondHalfSlopeMiBPerMinute"] = residentSummary.SecondHalfSlope;
        figures["serveOverloadServedPerSecond"] = codes.GetValueOrDefault(200) / (double)seconds;

        // The same clients ignoring Retry-After, each sending again the moment its 503 comes: the server must still
        // answer only 200s and 503s and lose nothing, though here the clients' own work takes cores from the batches.
        int hammerSeconds = Math.Min(60, seconds);
        var (hammerRate, _, _, _, hammer) = Load(address, bodies, clients, 0, TimeSpan.FromSeconds(hammerSeconds));
        var last = metrics.GetStringAsync("metrics").GetAwaiter().GetResult();
        long hammerOthers = hammer.Where(kv => kv.Key is not 200 and not 503).Sum(kv => kv.Value);
        Console.WriteLine(
            $"  {$"  the same clients ignoring Retry-After, {hammerSeconds} s", -58} {hammerRate, 8:0.0} answers/s   served "
                + $"{hammer.GetValueOrDefault(200) / (double)hammerSeconds:0.0}/s   {Codes(hammer)}   "
                + $"other than 200/503: {hammerOthers};   the server's counts: {Served(last, 200) - Served(after, 200)} × 200, "
                + $"{Served(last, 503) - Served(after, 503)} × 503"
        );
        figures["serveHammerOtherErrors"] = hammerOthers;
        figures["serveHammerUnanswered"] = hammer.GetValueOrDefault(-1);
        figures["serveHammerServedPerSecond"] = hammer.GetValueOrDefault(200) / (double)hammerSeconds;
        figures["serveHammerAnswersPerSecond"] = hammerRate;
    }

    // The value of one series (name and labels, as written) in Prometheus text; null when the server has not written it.
    internal static double? Metric(string text, string series) =>
        text.Split('\n')
            .Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => (double?)double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .SingleOrDefault();

    // The server's batch-size histogram totals (sum of inputs, number of batches) for image embeddings, from GET /metrics.
    private static (double Sum, double Count) Batches(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address };
        var text = client.GetStringAsync("metrics").GetAwaiter().GetResult();
        return (
            Metric(text, "prior_batch_size_sum{kind=\"embed-image\"}") ?? 0,
            Metric(text, "prior_batch_size_count{kind=\"embed-image\"}") ?? 0
        );
    }

    // Memory samples over the overload, summed up once for the printout and the figures: the first and last tenth's means,
    // the peak, and the least-squares slope of the second half in MiB per minute.
    internal sealed record Summary(double FirstTenth, double LastTenth, double Peak, double SecondHalfSlope)
    {
        public static Summary Of(IReadOnlyList<(double Minutes, double MiB)> samples)
        {
            int tenth = Math.Max(1, samples.Count / 10);
            var half = samples.Skip(samples.Count / 2).ToList();
            double slope = 0;
            if (half.Count >= 2)
            {
                double meanX = half.Average(x => x.Minutes),
                    meanY = half.Average(x => x.MiB);
                double covariance = half.Sum(x => (x.Minutes - meanX) * (x.MiB - meanY)),
                    variance = half.Sum(x => (x.Minutes - meanX) * (x.Minutes - meanX));
                slope = variance == 0 ? 0 : covariance / variance;
            }
            return new(
                samples.Take(tenth).Average(x => x.MiB),
                samples.TakeLast(tenth).Average(x => x.MiB),
                samples.Max(x => x.MiB),
                slope
            );
        }

        public override string ToString() =>
            $"first tenth {FirstTenth, 6:0}, last tenth {LastTenth, 6:0}, peak {Peak, 6:0}; "
            + $"second half's slope {SecondHalfSlope, 6:0.0} MiB/min";
    }

    private static string Codes(IReadOnlyDictionary<int, long> codes) =>
        string.Join(", ", codes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} × {kv.Key}"));

    // Closed-loop load: `concurrency` clients, each sending the next image as soon as its last answer came, until
    // `requests` were sent (or, with a duration, until it ends). Throughput, p50 and p99 latency, and the status counts.
    // The answers of several rounds added up by status.
    private static Dictionary<int, long> Tally(
        IEnumerable<(double Rate, double Served, double P50, double P99, IReadOnlyDictionary<int, long> Codes)> rounds
    ) => rounds.SelectMany(r => r.Codes).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    // "median (min–max)" of a few runs.
    private static string Spread(IReadOnlyList<double> values) => $"{Median(values), 8:0.0} ({values.Min():0.0}–{values.Max():0.0})";

    // Rate counts every answer; Served only the 200s, so a server answering 503s fast never looks fast.
    private static (double Rate, double Served, double P50, double P99, IReadOnlyDictionary<int, long> Codes) Load(
        Uri address,
        IReadOnlyList<byte[]> bodies,
        int concurrency,
        int requests,
        TimeSpan? duration = null,
        bool honourRetryAfter = false
    )
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = TimeSpan.FromMinutes(30),
        };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        var latencies = new ConcurrentBag<double>();
        var codes = new ConcurrentDictionary<int, long>();
        int next = -1;
        var clock = Stopwatch.StartNew();
        bool More(int i) => duration is { } d ? clock.Elapsed < d : i < requests;
        var workers = Enumerable
            .Range(0, concurrency)
            .Select(_ =>
                Task.Run(async () =>
                {
                    for (int i = Interlocked.Increment(ref next); More(i); i = Interlocked.Increment(ref next))
                    {
                        using var content = new ByteArrayContent(bodies[i % bodies.Count]);
                        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                        var started = Stopwatch.GetTimestamp();
                        int status;
                        TimeSpan? retryAfter = null;
                        try
                        {
                            using var response = await client.PostAsync("v1/embed/image", content);
                            await response.Content.ReadAsByteArrayAsync();
                            status = (int)response.StatusCode;
                            retryAfter = response.Headers.RetryAfter?.Delta;
                        }
                        catch (HttpRequestException)
                        {
                            status = -1; // no answer: counted as such, never hidden
                        }
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                        codes.AddOrUpdate(status, 1, (_, n) => n + 1);
                        if (honourRetryAfter && retryAfter is { } wait)
                            await Task.Delay(wait); // what a polite client does with a 503
                    }
                })
            )
            .ToArray();
        Task.WaitAll(workers);
        double seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToList();
        double Percentile(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return (sorted.Count / seconds, codes.GetValueOrDefault(200) / seconds, Percentile(0.5), Percentile(0.99), codes);
    }
}
