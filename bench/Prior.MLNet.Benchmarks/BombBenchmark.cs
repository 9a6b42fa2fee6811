using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Transforms;
using SkiaSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The bombs part of <c>prior-bench</c>: <c>prior serve</c>, in a process of its own with its default pixel budget and
/// decode pool, under 64 concurrent clients sending decompression bombs (a PNG of 19,000 × 19,000 gray pixels and one of
/// 12,000 × 12,000 colour ones, a few hundred kilobytes each), a JPEG whose header claims 19,000 × 19,000, a legitimate
/// 7,000 × 7,000 PNG just under the budget and ordinary radiographs, for a given time. It prints and records the answers
/// by kind of upload, the server's resident memory (sampled from outside) against the bound the budget and pool set, and
/// whether <c>GET /healthz</c>, polled throughout by a client of its own, kept answering.
/// </summary>
internal static class BombBenchmark
{
    public static void Run(string work, string preset, int seconds, Dictionary<string, object> figures)
    {
        var options = PriorModelOptions.FromPreset(preset);
        var (_, vocabulary) = MemoryBenchmark.Data(work, options.ImageSize);
        var jpeg = File.ReadAllBytes(
            Directory.EnumerateFiles(Path.GetDirectoryName(vocabulary)!, "*.jpg", SearchOption.AllDirectories).Order().First()
        );
        random.manual_seed(1);
        var tokenizer = new ReportTokenizer(vocabulary, options.MaxTokens);
        var model = Path.Combine(work, "bombs-model.zip");
        using (var prior = new PriorModel(options, tokenizer.VocabularySize))
        using (var network = new PriorNetwork(prior, tokenizer, usePrototypes: false))
            network.Save(model);
        var uploads = new (string Kind, byte[] Body, string Type)[]
        {
            ("png-bomb-gray-19000", Png(19_000, 19_000, SKColorType.Gray8), "image/png"),
            ("png-bomb-rgb-12000", Png(12_000, 12_000, SKColorType.Rgb888x), "image/png"),
            ("jpeg-claiming-19000", WithJpegSize(jpeg, 19_000, 19_000), "image/jpeg"),
            ("png-7000-under-budget", Png(7_000, 7_000, SKColorType.Gray8), "image/png"),
            ("jpeg-radiograph", jpeg, "image/jpeg"),
        };
        const int Clients = 64;
        using var server = ServeProcess.Start(model);
        using var probe = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        probe.GetStringAsync("healthz").GetAwaiter().GetResult();
        // The baseline after ordinary traffic: 64 clients of radiographs for a while, so that the network's working memory
        // at full batches (libtorch's activations, its allocator's caches) is in it, as in a server that has been serving.
        WarmUp(server.Address, jpeg, 64, TimeSpan.FromSeconds(Math.Min(20, seconds)));
        double baseline = server.ResidentMiB();
        Console.WriteLine(
            $"prior serve under {Clients} concurrent clients sending bombs for {seconds} s ({preset} preset, default --max-pixels "
                + $"and --decode-workers, {Environment.ProcessorCount} cores); uploads: "
                + string.Join(", ", uploads.Select(u => $"{u.Kind} {u.Body.Length / 1024.0:0} KiB"))
        );
        var answers = new ConcurrentDictionary<(string Kind, int Status), long>();
        var resident = new ConcurrentQueue<(double Minutes, double MiB)>();
        var heap = new ConcurrentBag<double>();
        var committed = new ConcurrentQueue<double>();
        long healthy = 0,
            unhealthy = 0;
        var healthLatencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var sampler = Task.Run(async () =>
        {
            while (clock.Elapsed < deadline)
            {
                resident.Enqueue((clock.Elapsed.TotalMinutes, server.ResidentMiB()));
                try
                {
                    var text = await probe.GetStringAsync("metrics");
                    heap.Add((ServeBenchmark.Metric(text, "dotnet_gc_heap_bytes") ?? 0) / 1048576.0);
                    committed.Enqueue((ServeBenchmark.Metric(text, "dotnet_gc_committed_bytes") ?? 0) / 1048576.0);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { }
                await Task.Delay(250);
            }
        });
        var health = Task.Run(async () =>
        {
            while (clock.Elapsed < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await probe.GetAsync("healthz");
                    if (response.IsSuccessStatusCode)
                        Interlocked.Increment(ref healthy);
                    else
                        Interlocked.Increment(ref unhealthy);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref unhealthy);
                }
                healthLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await Task.Delay(200);
            }
        });
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients };
        using var client = new HttpClient(handler) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
        var workers = Enumerable
            .Range(0, Clients)
            .Select(c =>
                Task.Run(async () =>
                {
                    for (int i = c; clock.Elapsed < deadline; i++)
                    {
                        var (kind, body, type) = uploads[i % uploads.Length];
                        using var content = new ByteArrayContent(body);
                        content.Headers.ContentType = new MediaTypeHeaderValue(type);
                        int status;
                        try
                        {
                            using var response = await client.PostAsync("v1/classify", content);
                            await response.Content.ReadAsByteArrayAsync();
                            status = (int)response.StatusCode;
                        }
                        catch (HttpRequestException)
                        {
                            status = -1; // no answer: counted, never hidden
                        }
                        answers.AddOrUpdate((kind, status), 1, (_, n) => n + 1);
                    }
                })
            )
            .ToArray();
        Task.WaitAll([.. workers, sampler, health]);
        var metrics = probe.GetStringAsync("metrics").GetAwaiter().GetResult();
        double decodingPeak = ServeBenchmark.Metric(metrics, "prior_decoding_peak") ?? double.NaN;
        // The bound the server's defaults set (docs/serving.md): the baseline; each decode worker at its peak for one
        // budget's image (a 16-bit DICOM, the costliest form: about 9 bytes a pixel); what the pixel-buffer pool may keep
        // between decodes; and the uploads, those held (--max-inflight-upload-mb) and as much again kept by their pool.
        var defaults = new Prior.MLNet.Tool.Serve.ServeOptions();
        int pool = defaults.DecodeWorkers;
        double decoding = pool * defaults.MaxPixels * 9 / 1048576.0,
            pixelPool = Prior.MLNet.Tool.Serve.PriorServer.PixelPoolBytes(defaults) / 1048576.0,
            inflight = 2 * defaults.MaxInflightUploadBytes / 1048576.0;
        double bound = baseline + decoding + pixelPool + inflight;
        var summary = ServeBenchmark.Summary.Of(resident.ToList());
        double peak = summary.Peak;
        foreach (var (kind, _, _) in uploads)
            Console.WriteLine(
                $"  {kind, -28} "
                    + string.Join(
                        ", ",
                        answers.Where(a => a.Key.Kind == kind).OrderBy(a => a.Key.Status).Select(a => $"{a.Value} × {a.Key.Status}")
                    )
            );
        long others = answers.Where(a => a.Key.Status is not (200 or 413 or 422)).Sum(a => a.Value);
        Console.WriteLine(
            $"  server resident memory: {baseline:0} MiB after ordinary traffic; under the bombs {summary}; the stated bound "
                + $"{bound:0} MiB (baseline + {pool} decode workers × {defaults.MaxPixels / 1e6:0} M pixels × 9 bytes {decoding:0} + "
                + $"pixel pool's cap {pixelPool:0} + uploads in flight and kept {inflight:0}); managed "
                + $"heap after a collection, at most {(heap.IsEmpty ? 0 : heap.Max()):0} MiB, committed by the collector first "
                + $"{committed.FirstOrDefault():0} and last {committed.LastOrDefault():0} MiB; decodes at once, at most: {decodingPeak}"
        );
        Console.WriteLine(
            $"  GET /healthz throughout: {healthy} answered ok, {unhealthy} not; slowest {healthLatencies.Max():0} ms; "
                + $"answers other than 200/413/422: {others}"
        );
        figures["bombsSeconds"] = seconds;
        figures["bombsResidentBeforeMiB"] = baseline;
        figures["bombsResidentPeakMiB"] = peak;
        figures["bombsResidentFirstTenthMiB"] = summary.FirstTenth;
        figures["bombsResidentLastTenthMiB"] = summary.LastTenth;
        figures["bombsResidentBoundMiB"] = bound;
        figures["bombsBoundDecodingMiB"] = decoding;
        figures["bombsBoundPixelPoolMiB"] = pixelPool;
        figures["bombsBoundUploadsMiB"] = inflight;
        figures["bombsManagedHeapPeakMiB"] = heap.IsEmpty ? 0 : heap.Max();
        figures["bombsDecodingPeak"] = decodingPeak;
        figures["bombsHealthzOk"] = healthy;
        figures["bombsHealthzFailed"] = unhealthy;
        figures["bombsHealthzSlowestMs"] = healthLatencies.Max();
        figures["bombsOtherAnswers"] = others;
        foreach (var ((kind, status), count) in answers)
            figures[$"bombs.{kind}.{status}"] = count;
    }

    private static void WarmUp(Uri address, byte[] jpeg, int clients, TimeSpan duration)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients };
        using var client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        var clock = Stopwatch.StartNew();
        Task.WaitAll(
            Enumerable
                .Range(0, clients)
                .Select(_ =>
                    Task.Run(async () =>
                    {
                        while (clock.Elapsed < duration)
                        {
                            using var content = new ByteArrayContent(jpeg);
                            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                            using var response = await client.PostAsync("v1/classify", content);
                        }
                    })
                )
                .ToArray()
        );
    }

    // A PNG of zeros (maximally compressible: a bomb when large), encoded by SkiaSharp.
    private static byte[] Png(int width, int height, SKColorType type)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, type, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.Black);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100) ?? throw new InvalidOperationException("PNG encoding failed");
        return data.ToArray();
    }

    // The JPEG with its frame header saying another size (the data is the original's: a lie the decoder must catch).
    private static byte[] WithJpegSize(byte[] jpeg, int width, int height)
    {
        var lie = (byte[])jpeg.Clone();
        int at = lie.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        BinaryPrimitives.WriteUInt16BigEndian(lie.AsSpan(at + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(lie.AsSpan(at + 7), (ushort)width);
        return lie;
    }
}
