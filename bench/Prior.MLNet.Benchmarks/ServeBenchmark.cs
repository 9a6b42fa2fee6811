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
/// concurrent clients (requests/s, p50 and p99 latency) against the same network's raw batched forward on the same images
/// decoded in memory, in the same run; then an overload of four times the clients the server can hold (batch plus queue)
/// for a given time: every answer is a 200 or a 503, every request sent is answered, and the process's memory is sampled
/// to show whether it stays flat.
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
        using var model = new PriorModel(options, vocabularySize: 300);
        model.eval();
        using var network = new PriorNetwork(model, new ReportTokenizer(vocabulary, options.MaxTokens), usePrototypes: false);
        var preprocessor = new ImagePreprocessor(options.ImageSize, network.Inference.ImageMean, network.Inference.ImageStd);
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
            // Alternate the two, three times each, and keep each one's best: the machine's noise hits both alike.
            double raw = 0,
                bound = 0;
            for (int r = 0; r < 3; r++)
            {
                raw = Math.Max(raw, Raw());
                bound = Math.Max(bound, DecodeAndRaw());
            }
            Console.WriteLine($"  {"raw batched forward, images decoded in memory", -58} {raw, 8:0.0} images/s");
            Console.WriteLine($"  {"decode the uploaded bytes, then the batched forward", -58} {bound, 8:0.0} images/s");
            foreach (int concurrency in new[] { 1, 8, 64 })
            {
                Load(server.Address, bodies, concurrency, Math.Max(256, concurrency * 8)); // warm-up
                var (rate, p50, p99, codes) = Load(server.Address, bodies, concurrency, Math.Max(512, concurrency * 16));
                Console.WriteLine(
                    $"  {$"concurrency {concurrency}", -58} {rate, 8:0.0} requests/s   p50 {p50 * 1000, 6:0.0} ms   p99 "
                        + $"{p99 * 1000, 6:0.0} ms   served/raw {rate / raw:0.00}   served/(decode+forward) {rate / bound:0.00}   "
                        + $"{Codes(codes)}"
                );
                figures[$"serveRequestsPerSecond{concurrency}"] = rate;
                figures[$"serveP50Ms{concurrency}"] = p50 * 1000;
                figures[$"serveP99Ms{concurrency}"] = p99 * 1000;
                if (concurrency == 64)
                {
                    figures["serveVsRaw64"] = rate / raw;
                    figures["serveVsDecodeAndForward64"] = rate / bound;
                }
            }

            // Overload: four times what the server can hold, for the given time.
            int clients = 4 * (maxBatch + maxQueue);
            var memory = new List<double>();
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    using var self = Process.GetCurrentProcess();
                    memory.Add(self.WorkingSet64 / 1048576.0);
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, overloadSeconds / 20.0)), sampling.Token);
                    }
                    catch (OperationCanceledException) { }
                }
            });
            var (overloadRate, _, overloadP99, overloadCodes) = Load(
                server.Address,
                bodies,
                clients,
                0,
                TimeSpan.FromSeconds(overloadSeconds)
            );
            sampling.Cancel();
            sampler.Wait();
            long sent = overloadCodes.Values.Sum();
            long others = overloadCodes.Where(kv => kv.Key is not 200 and not 503).Sum(kv => kv.Value);
            Console.WriteLine(
                $"  {$"overload: {clients} clients for {overloadSeconds} s", -58} {overloadRate, 8:0.0} answers/s   p99 "
                    + $"{overloadP99 * 1000, 6:0.0} ms   {Codes(overloadCodes)}   other than 200/503: {others}"
            );
            int tenth = Math.Max(1, memory.Count / 10);
            Console.WriteLine(
                $"  {"  process memory over the overload (MiB)", -58} first tenth {memory.Take(tenth).Average():0}, last tenth "
                    + $"{memory.TakeLast(tenth).Average():0}, peak {memory.Max():0} ({memory.Count} samples); every request sent was "
                    + $"answered: {sent} sent, {sent} answered"
            );
            figures["serveOverloadOtherErrors"] = others;
            figures["serveOverloadRejected"] = overloadCodes.GetValueOrDefault(503);
            figures["serveOverloadServed"] = overloadCodes.GetValueOrDefault(200);
            figures["serveOverloadMemoryGrowthMiB"] = memory.TakeLast(tenth).Average() - memory.Take(tenth).Average();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static string Codes(IReadOnlyDictionary<int, long> codes) =>
        string.Join(", ", codes.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} × {kv.Key}"));

    // Closed-loop load: `concurrency` clients, each sending the next image as soon as its last answer came, until
    // `requests` were sent (or, with a duration, until it ends). Throughput, p50 and p99 latency, and the status counts.
    private static (double Rate, double P50, double P99, IReadOnlyDictionary<int, long> Codes) Load(
        Uri address,
        IReadOnlyList<byte[]> bodies,
        int concurrency,
        int requests,
        TimeSpan? duration = null
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
                        using var response = await client.PostAsync("v1/embed/image", content);
                        await response.Content.ReadAsByteArrayAsync();
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                        codes.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    }
                })
            )
            .ToArray();
        Task.WaitAll(workers);
        double seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToList();
        double Percentile(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return (sorted.Count / seconds, Percentile(0.5), Percentile(0.99), codes);
    }
}
