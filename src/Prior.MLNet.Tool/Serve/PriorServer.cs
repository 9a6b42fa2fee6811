using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Generation;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// <c>prior serve</c>: a PRIOR model behind HTTP (Kestrel, minimal APIs). Images come as a raw body (JPEG, PNG, DICOM, …)
/// or as the file of a multipart form; every request is batched with others of its kind (<see cref="InferenceBatcher{TIn, TOut}"/>).
/// Bad input gets a 4xx with an RFC 9457 problem body naming what is wrong, a full queue a 503 with Retry-After, and an
/// unexpected failure a 500 problem body without a stack trace. Shutdown stops accepting, answers what is in flight,
/// then stops the batchers.
/// </summary>
internal sealed class PriorServer : IAsyncDisposable
{
    /// <summary>How many distinct class sets of <c>/v1/classify?classes=…</c> get a classifier of their own.</summary>
    public const int MaxClassSets = 32;

    private readonly WebApplication _app;
    private readonly List<IAsyncDisposable> _batchers = [];
    private readonly ConcurrentDictionary<
        string,
        (ZeroShotClassifier Classifier, InferenceBatcher<float[], float[]> Batcher)
    > _classifiers = new(StringComparer.Ordinal);
    private readonly PriorNetwork _network;
    private readonly ServeOptions _options;
    private readonly ImagePreprocessor _images;
    private readonly ImageReadOptions _read;
    private readonly SemaphoreSlim _decodePool;

    // Upload bodies of declared length, pooled apart from the pixel buffers: as many can be in flight as clients send
    // at once, and each is given back once decoded.
    private readonly RetentionCappedPool _bodies;

    // The bytes of uploads read or being read and not yet decoded (--max-inflight-upload-mb): uploads are read before they
    // wait for the decode pool, so without it N clients each sending the largest upload would hold N times it.
    private readonly ByteBudget _uploads;
    private Task _warmUp = Task.CompletedTask;

    private PriorServer(PriorNetwork network, ServeOptions options, WebApplication app)
    {
        _network = network;
        _options = options;
        _app = app;
        _images = network.ImagePreprocessor;
        // Full-size pixel buffers from a pool of the server's own, a few per decode worker: a stream of large uploads then
        // reuses the same buffers instead of leaving each one's dead pixels to the garbage collector.
        _read = new ImageReadOptions
        {
            MaxPixels = options.MaxPixels,
            Frame = options.Frame,
            Buffers = PixelBuffers = new RetentionCappedPool(PixelPoolBytes(options), 1 << 30),
        };
        _decodePool = new SemaphoreSlim(options.DecodeWorkers, options.DecodeWorkers);
        _bodies = new RetentionCappedPool(options.MaxInflightUploadBytes, (int)Math.Min(options.MaxUploadBytes, 1 << 30));
        _uploads = new ByteBudget(options.MaxInflightUploadBytes);
    }

    /// <summary>The server's counters.</summary>
    public ServeMetrics Metrics { get; } = new();

    /// <summary>Where it listens (the port resolved when 0 was asked for).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts serving <paramref name="network"/>; the caller keeps owning the network.</summary>
    public static async Task<PriorServer> StartAsync(PriorNetwork network, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(f =>
            f.MultipartBodyLengthLimit = options.MaxUploadBytes
        );
        var server = new PriorServer(network, options, builder.Build());
        server.Map();
        await server._app.StartAsync().ConfigureAwait(false);
        server._warmUp = Task.Run(server.WarmUp);
        var address = server._app.Urls.First();
        server.Address = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>
    /// What the pixel-buffer pool keeps between decodes at most: each decode worker's largest buffers at the pixel budget
    /// (an RGBA and a gray buffer, 5 bytes a pixel, rounded up to the pool's power-of-two sizes).
    /// </summary>
    internal static long PixelPoolBytes(ServeOptions options) =>
        options.DecodeWorkers
        * (
            (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)options.MaxPixels * 4)
            + (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)options.MaxPixels)
        );

    /// <summary>The pool of the decoders' pixel buffers.</summary>
    internal RetentionCappedPool PixelBuffers { get; }

    /// <summary>The bytes of image uploads held now (<c>--max-inflight-upload-mb</c> bounds them).</summary>
    internal long UploadBytesInFlight => _uploads.Reserved;

    /// <summary>Whether the warm-up has finished (<c>/readyz</c> says ready only then).</summary>
    internal Task WarmedUp => _warmUp;

    // Work done once, before /readyz says ready, so that no first request pays it: retrieval drafts need the CheXpert
    // mentions of every sentence of the memory, which the labeler computes one sentence at a time and the memory keeps.
    private void WarmUp()
    {
        _options.DuringWarmUp?.Invoke();
        if (_network.SentenceMemory is { HasEmbeddings: true, Sentences.Count: > 0 } memory)
            memory.Mentions(0);
    }

    /// <summary>Waits until the server is stopped (Ctrl+C, SIGTERM, or <see cref="DisposeAsync"/>).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    private void Map()
    {
        var app = _app;
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(
            async (context, next) =>
            {
                var clock = Stopwatch.StartNew();
                await next(context).ConfigureAwait(false);
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "other";
                Metrics.Request(route, context.Response.StatusCode, clock.Elapsed.TotalSeconds);
            }
        );
        var embedImages = Batcher<float[], float[]>("embed-image", pixels => _network.EmbedImages(pixels, local: false).Global);
        var embedReports = Batcher<IReadOnlyList<string>, float[]>("embed-report", reports => _network.EmbedReports(reports));
        var drafts = Enum.GetValues<ReportDraftMethod>()
            .ToDictionary(m => m, m => Batcher<float[], ReportDraft>("draft-" + EnumText(m), pixels => _network.DraftReports(pixels, m)));
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();

        app.MapOpenApi(); // /openapi/v1.json
        app.MapGet("/", () => Results.Content(ServePage.Html, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => lifetime.ApplicationStopping.IsCancellationRequested
                ? Problem(503, "Shutting down", "The server is draining its requests.")
            : _warmUp.IsFaulted ? Problem(503, "Warm-up failed", _warmUp.Exception!.GetBaseException().Message)
            : !_warmUp.IsCompleted ? Problem(503, "Warming up", "The server is labelling its sentence memory for retrieval drafts.")
            : Results.Text("ready\n"));
        app.MapGet("/metrics", () => Results.Text(Metrics.Text(), "text/plain; version=0.0.4"));
        app.MapPost("/v1/embed/image", async (HttpRequest request, CancellationToken cancel) =>
        {
            if (embedImages.IsFull)
                return Busy(embedImages);
            var (pixels, problem) = await ReadImage(request, _images, cancel).ConfigureAwait(false);
            if (problem is not null)
                return problem;
            return await Run(embedImages, pixels!, e => Results.Json(new { dimension = e.Length, embedding = e }), cancel)
                .ConfigureAwait(false);
        });
        app.MapPost("/v1/embed/report", async (HttpRequest request, CancellationToken cancel) =>
        {
            if (embedReports.IsFull)
                return Busy(embedReports);
            var (sentences, problem) = await ReadReport(request, cancel).ConfigureAwait(false);
            if (problem is not null)
                return problem;
            return await Run(embedReports, sentences!, e => Results.Json(new { dimension = e.Length, embedding = e }), cancel)
                .ConfigureAwait(false);
        });
        app.MapPost("/v1/classify", async (HttpRequest request, string? classes, CancellationToken cancel) =>
        {
            var (classifier, batcher, classProblem) = Classifier(classes);
            if (classProblem is not null)
                return classProblem;
            if (batcher!.IsFull)
                return Busy(batcher);
            var (pixels, problem) = await ReadImage(request, classifier!.Preprocessor, cancel).ConfigureAwait(false);
            if (problem is not null)
                return problem;
            return await Run(
                    batcher!,
                    pixels!,
                    scores =>
                        Results.Json(
                            new
                            {
                                predicted = classifier.Classes[Array.IndexOf(scores, scores.Max())],
                                scores = classifier.Classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => scores[p.i]),
                            }
                        ),
                    cancel
                )
                .ConfigureAwait(false);
        });
        var attention = Batcher<(float[] Pixels, IReadOnlyList<string> Sentences), byte[]>("attention", inputs => inputs
                .Select(input =>
                {
                    var maps = _network.AttentionMaps([input.Pixels], input.Sentences)[0];
                    return Report.Charts.AttentionMapsPng(
                        Commands.AttentionCommand.Panels(input.Pixels, maps, input.Sentences, _images, _network.ImageSize)
                    );
                })
                .ToList());
        app.MapPost(
            "/v1/attention",
            async (HttpRequest request, [Microsoft.AspNetCore.Mvc.FromQuery] string[]? sentence, CancellationToken cancel) =>
            {
                var sentences = sentence is { Length: > 0 } ? sentence.Where(s => !string.IsNullOrWhiteSpace(s)).ToList() : null;
                if (_network.Model.Options.LocalFeatureLayout != Modeling.LocalFeatureLayout.Spatial)
                    return Problem(
                        409,
                        "No spatial attention",
                        "This model's local features are the original's flat view, so attention cannot be drawn on the image."
                    );
                if (sentences is { Count: 0 } || sentences?.Count > 16)
                    return Problem(400, "Bad sentences", "Give 1 to 16 non-empty sentence= parameters, or none for the CheXpert five's.");
                if (attention.IsFull)
                    return Busy(attention);
                var (pixels, problem) = await ReadImage(request, _images, cancel).ConfigureAwait(false);
                if (problem is not null)
                    return problem;
                var texts = sentences ?? Commands.AttentionCommand.DefaultSentences;
                return await Run(attention, (pixels!, texts), png => Results.File(png, "image/png"), cancel).ConfigureAwait(false);
            }
        );
        app.MapPost("/v1/draft", async (HttpRequest request, string? method, CancellationToken cancel) =>
        {
            var chosen = Defaults.ReportDraftMethod;
            if (method is not null && !TryMethod(method, out chosen))
                return Problem(
                    400,
                    "Unknown drafting method",
                    $"method must be one of {string.Join(", ", Enum.GetValues<ReportDraftMethod>().Select(EnumText))}; not '{method}'."
                );
            if (_network.DraftingProblem(chosen) is { } cannot)
                return Problem(409, "Cannot draft by this method", cannot);
            if (drafts[chosen].IsFull)
                return Busy(drafts[chosen]);
            var (pixels, problem) = await ReadImage(request, _images, cancel).ConfigureAwait(false);
            if (problem is not null)
                return problem;
            return await Run(
                    drafts[chosen],
                    pixels!,
                    d =>
                        Results.Json(
                            new
                            {
                                method = EnumText(chosen),
                                findings = d.Findings,
                                impression = d.Impression,
                                text = d.Text,
                            }
                        ),
                    cancel
                )
                .ConfigureAwait(false);
        });
    }

    private InferenceBatcher<TIn, TOut> Batcher<TIn, TOut>(string name, Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> run)
    {
        var batcher = new InferenceBatcher<TIn, TOut>(name, run, _options, Metrics);
        lock (_batchers)
            _batchers.Add(batcher);
        return batcher;
    }

    // The classifier of a class set (the model's CheXpert five when none is given), made once per set.
    private (ZeroShotClassifier?, InferenceBatcher<float[], float[]>?, IResult?) Classifier(string? classes)
    {
        var names = (classes ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (classes is not null && (names.Length < 2 || names.Distinct(StringComparer.Ordinal).Count() != names.Length))
            return (
                null,
                null,
                Problem(400, "Bad class set", $"classes must name at least two distinct classes, comma-separated; not '{classes}'.")
            );
        string key = string.Join(",", names);
        if (!_classifiers.ContainsKey(key) && _classifiers.Count >= MaxClassSets)
            return (null, null, Problem(400, "Too many class sets", $"This server keeps at most {MaxClassSets} class sets; reuse one."));
        var entry = _classifiers.GetOrAdd(key, _ =>
        {
            var prompts = Commands.ClassifyCommand.Prompts(classes is null ? null : key, null, _network.PromptSet);
            var classifier = ZeroShotClassifier.For(_network, prompts);
            return (classifier, Batcher<float[], float[]>("classify", classifier.ScorePixels));
        });
        return (entry.Classifier, entry.Batcher, null);
    }

    private async Task<IResult> Run<TIn, TOut>(
        InferenceBatcher<TIn, TOut> batcher,
        TIn input,
        Func<TOut, IResult> answer,
        CancellationToken cancel
    )
    {
        var task = batcher.TryRun(input, cancel);
        if (task is null)
            return Busy(batcher);
        return answer(await task.ConfigureAwait(false));
    }

    // The 503 of a full queue. Endpoints check for it before reading the upload as well: under overload a refusal then costs
    // no image decode, and the cores stay with the batches that were accepted.
    private RetryAfter Busy<TIn, TOut>(InferenceBatcher<TIn, TOut> batcher) =>
        new(
            Results.Problem(
                statusCode: 503,
                title: "Busy",
                detail: $"{batcher.Depth} requests are already waiting (--max-queue {_options.MaxQueue}); retry shortly."
            )
        );

    // The uploaded image's pixels, or the problem with the upload; the upload held within the in-flight budget.
    private async Task<(float[]?, IResult?)> ReadImage(HttpRequest request, ImagePreprocessor preprocessor, CancellationToken cancel)
    {
        long reserved = Math.Min(request.ContentLength ?? _options.MaxUploadBytes, _options.MaxUploadBytes);
        if (!_uploads.TryReserve(reserved))
            return (
                null,
                new RetryAfter(
                    Results.Problem(
                        statusCode: 503,
                        title: "Busy",
                        detail: $"Uploads of {_uploads.Reserved:N0} bytes are already being read or decoded; this one's "
                            + $"{reserved:N0} would pass --max-inflight-upload-mb ({_uploads.Capacity >> 20} MiB). Retry shortly."
                    )
                )
            );
        try
        {
            return await ReadImageWithinBudget(request, preprocessor, cancel).ConfigureAwait(false);
        }
        finally
        {
            _uploads.Release(reserved);
        }
    }

    private async Task<(float[]?, IResult?)> ReadImageWithinBudget(
        HttpRequest request,
        ImagePreprocessor preprocessor,
        CancellationToken cancel
    )
    {
        byte[] bytes;
        int length;
        bool pooled = false;
        string name;
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancel).ConfigureAwait(false);
                var file = form.Files.GetFile("image") ?? form.Files.FirstOrDefault();
                if (file is null)
                    return (null, Problem(400, "No image", "The multipart form holds no file; send the image as the field 'image'."));
                using var memory = new MemoryStream();
                await file.CopyToAsync(memory, cancel).ConfigureAwait(false);
                (bytes, name) = (memory.ToArray(), file.FileName.Length > 0 ? file.FileName : "image");
                length = bytes.Length;
            }
            else
            {
                var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
                if (
                    type is null
                    || !(type.StartsWith("image/", StringComparison.Ordinal) || type is "application/dicom" or "application/octet-stream")
                )
                    return (
                        null,
                        Problem(
                            415,
                            "Unsupported content type",
                            $"Send the image as the body (image/jpeg, image/png, application/dicom, application/octet-stream) or as the "
                                + $"file 'image' of a multipart/form-data body; not '{request.ContentType ?? "no content type"}'."
                        )
                    );
                (bytes, length, pooled) = await ReadBody(request, _bodies, cancel).ConfigureAwait(false);
                name = "the uploaded image";
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TooLarge());
        }
        if (length == 0)
        {
            if (pooled)
                _bodies.Return(bytes);
            return (null, Problem(400, "Empty upload", "The request carries no image bytes."));
        }
        // Decodes run on a bounded pool: with the pixel budget, N concurrent uploads cost at most the pool's size times
        // one budget's decode, however many arrive.
        try
        {
            await _decodePool.WaitAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            if (pooled)
                _bodies.Return(bytes);
            throw;
        }
        try
        {
            Metrics.DecodeStarted();
            return (preprocessor.LoadBytes(name, bytes.AsSpan(0, length), _read), null);
        }
        catch (InvalidDataException ex) when (ImageBudget.IsOverBudget(ex, out long budget))
        {
            return (null, Problem(413, "Image too large", $"{ex.Message} This server decodes at most {budget:N0} pixels (--max-pixels)."));
        }
        catch (InvalidDataException ex)
        {
            return (null, Problem(422, "Unreadable image", ex.Message));
        }
        finally
        {
            Metrics.DecodeFinished();
            _decodePool.Release();
            if (pooled)
                _bodies.Return(bytes);
        }
    }

    // The raw body: where its length is declared, in a buffer of the pool the decoders use (given back after the decode,
    // so that a stream of uploads leaves no arrays behind in the large-object heap); else read to its end.
    private static async Task<(byte[] Bytes, int Length, bool Pooled)> ReadBody(
        HttpRequest request,
        System.Buffers.ArrayPool<byte> pool,
        CancellationToken cancel
    )
    {
        if (request.ContentLength is { } declared and <= int.MaxValue)
        {
            var body = pool.Rent((int)declared);
            try
            {
                int read = 0;
                while (
                    read < declared
                    && await request.Body.ReadAsync(body.AsMemory(read, (int)declared - read), cancel).ConfigureAwait(false)
                        is var n
                            and > 0
                )
                    read += n;
                return (body, read, true);
            }
            catch
            {
                pool.Return(body);
                throw;
            }
        }
        using var memory = new MemoryStream();
        await request.Body.CopyToAsync(memory, cancel).ConfigureAwait(false);
        var bytes = memory.ToArray();
        return (bytes, bytes.Length, false);
    }

    private IResult TooLarge() =>
        Problem(
            413,
            "Upload too large",
            $"The upload is larger than this server accepts ({_options.MaxUploadBytes:N0} bytes, --max-upload-mb)."
        );

    // A report as {"text": "..."} or {"sentences": ["...", ...]}, split into sentences as PRIOR reads reports.
    private static async Task<(IReadOnlyList<string>?, IResult?)> ReadReport(HttpRequest request, CancellationToken cancel)
    {
        if (!request.HasJsonContentType())
            return (
                null,
                Problem(
                    415,
                    "Unsupported content type",
                    "Send the report as application/json, {\"text\": \"...\"} or {\"sentences\": [...]}; "
                        + $"not '{request.ContentType ?? "none"}'."
                )
            );
        ReportBody? body;
        try
        {
            body = await request.ReadFromJsonAsync<ReportBody>(cancel).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return (null, Problem(400, "Malformed JSON", ex.Message));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problem(413, "Upload too large", "The report is larger than this server accepts (--max-upload-mb)."));
        }
        var sentences = body?.Sentences?.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).ToList()
            ?? (body?.Text is { } text ? PriorNetwork.Sentences(text).ToList() : null);
        if (sentences is null || sentences.Count == 0)
            return (null, Problem(400, "No report", "The body holds no sentence: give \"text\" or a non-empty \"sentences\"."));
        return (sentences, null);
    }

    private sealed record ReportBody(string? Text, List<string>? Sentences);

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    private static string EnumText(ReportDraftMethod method) => Commands.EnumOption.Text(method);

    private static bool TryMethod(string text, out ReportDraftMethod method)
    {
        foreach (var candidate in Enum.GetValues<ReportDraftMethod>())
        {
            if (string.Equals(EnumText(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                method = candidate;
                return true;
            }
        }
        method = default;
        return false;
    }

    // A 503 problem with the Retry-After header.
    private sealed class RetryAfter(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = "1";
            return inner.ExecuteAsync(httpContext);
        }
    }

    /// <summary>Stops listening, answers the requests in flight, then stops the batchers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        foreach (var batcher in _batchers)
            await batcher.DisposeAsync().ConfigureAwait(false);
        foreach (var (classifier, _) in _classifiers.Values)
            classifier.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
