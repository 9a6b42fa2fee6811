using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Generation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Tool.Serve;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// <c>prior serve</c> on 127.0.0.1 with a free port: every endpoint answers what the library computes for the same input,
/// bad input gets a problem body naming what is wrong, and a full queue a 503 with Retry-After.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ServeTests
{
    private static PriorNetwork _network = null!;

    [ClassInitialize]
    public static void LoadNetwork(TestContext _)
    {
        // A network of its own (loaded from a saved copy), with a sentence memory, so that nothing shared is changed.
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "model.zip");
        TestNetwork.Instance.Save(path);
        _network = PriorNetwork.Load(path);
        var reports = TrainingFixture
            .Instance.Studies.Take(64)
            .Select(s => ((IReadOnlyList<string>)s.Sentences.Skip(1).ToList(), (IReadOnlyList<string>)s.Sentences.Take(1).ToList()));
        _network.SentenceMemory = SentenceMemory.Build(_network, reports, prototypeDecoderTrained: false);
    }

    [ClassCleanup]
    public static void Dispose() => _network.Dispose();

    private static string Image(int k) => TrainingFixture.Instance.Studies[600 + k].ImagePaths[0];

    private static async Task<(PriorServer Server, HttpClient Client)> Start(ServeOptions? options = null)
    {
        var server = await PriorServer.StartAsync(_network, (options ?? new ServeOptions()) with { Port = 0 });
        Assert.AreEqual("127.0.0.1", server.Address.Host, "tests bind to the loopback only");
        return (server, new HttpClient { BaseAddress = server.Address });
    }

    private static ByteArrayContent ImageBody(string path, string type = "image/jpeg")
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [TestMethod]
    public async Task EveryEndpointAnswersWhatTheLibraryComputes()
    {
        var (server, client) = await Start();
        await using (server)
        using (client)
        {
            Assert.AreEqual("ok\n", await client.GetStringAsync("healthz"));
            // Ready once the warm-up (the sentence memory's labels for retrieval drafts) is done.
            await WaitUntil(() => server.WarmedUp.IsCompleted);
            Assert.IsTrue(server.WarmedUp.IsCompletedSuccessfully, "the warm-up failed");
            Assert.AreEqual("ready\n", await client.GetStringAsync("readyz"));
            var pixels = _network.LoadImage(Image(0));

            // Image embedding: a raw JPEG body, then the same image as a multipart form's file.
            var expected = _network.EmbedImages([pixels], local: false).Global[0];
            using var raw = await client.PostAsync("v1/embed/image", ImageBody(Image(0)));
            Assert.AreEqual(HttpStatusCode.OK, raw.StatusCode, await raw.Content.ReadAsStringAsync());
            var embedding = Floats((await raw.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
            Assert.HasCount(_network.EmbeddingDim, embedding);
            for (int d = 0; d < embedding.Length; d++)
                Assert.AreEqual(expected[d], embedding[d], 1e-5f);
            using var form = new MultipartFormDataContent { { ImageBody(Image(0)), "image", "view.jpg" } };
            using var multipart = await client.PostAsync("v1/embed/image", form);
            CollectionAssert.AreEqual(
                embedding,
                Floats((await multipart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"))
            );

            // The same picture as a DICOM file (application/dicom) embeds like its JPEG decoded.
            var (gray, width, height) = Prior.MLNet.Data.Images.GrayscaleImage.Read(Image(0));
            var dicom = Path.Combine(SyntheticFixture.NewTempFolder(), "image.dcm");
            Prior.MLNet.Synthetic.SyntheticDicom.Write(dicom, gray, width, height, new("P1", "1.2.3", "1.2.3.4", "1.2.3.4.5", "PA"));
            using var fromDicom = await client.PostAsync("v1/embed/image", ImageBody(dicom, "application/dicom"));
            Assert.AreEqual(HttpStatusCode.OK, fromDicom.StatusCode, await fromDicom.Content.ReadAsStringAsync());
            var dicomEmbedding = Floats((await fromDicom.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
            Assert.IsTrue(dicomEmbedding.Zip(embedding).Sum(p => p.First * p.Second) > 0.999, "the DICOM holds the JPEG's pixels");

            // Report embedding, from text and from sentences.
            var sentences = new[] { "Small left pleural effusion.", "No pneumothorax." };
            var expectedReport = _network.EmbedReports([sentences])[0];
            using var text = await client.PostAsJsonAsync("v1/embed/report", new { text = string.Join(" ", sentences) });
            using var split = await client.PostAsJsonAsync("v1/embed/report", new { sentences });
            foreach (var response in new[] { text, split })
            {
                Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
                var vector = Floats((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("embedding"));
                for (int d = 0; d < vector.Length; d++)
                    Assert.AreEqual(expectedReport[d], vector[d], 1e-5f);
            }

            // Zero-shot classification: the model's CheXpert five by default, or classes of the caller's.
            foreach (var classes in new[] { (string?)null, "Edema,Atelectasis,Cardiomegaly" })
            {
                var prompts = Prior.MLNet.Tool.Commands.ClassifyCommand.Prompts(classes, null, _network.Inference.Prompts);
                using var classifier = ZeroShotClassifier.For(_network, prompts);
                var scores = classifier.ScorePixels([classifier.Preprocessor.Load(Image(1), null)])[0];
                using var classified = await client.PostAsync(
                    "v1/classify" + (classes is null ? "" : $"?classes={classes}"),
                    ImageBody(Image(1))
                );
                Assert.AreEqual(HttpStatusCode.OK, classified.StatusCode, await classified.Content.ReadAsStringAsync());
                var json = await classified.Content.ReadFromJsonAsync<JsonElement>();
                var returned = json.GetProperty("scores");
                for (int c = 0; c < classifier.Classes.Count; c++)
                    Assert.AreEqual(scores[c], returned.GetProperty(classifier.Classes[c]).GetSingle(), 1e-5f);
                Assert.AreEqual(classifier.Classes[Array.IndexOf(scores, scores.Max())], json.GetProperty("predicted").GetString());
            }

            // Drafts: the nearest training report by default, or retrieval.
            foreach (
                var (query, method) in new[] { ("", ReportDraftMethod.NearestReport), ("?method=retrieval", ReportDraftMethod.Retrieval) }
            )
            {
                using var drafted = await client.PostAsync("v1/draft" + query, ImageBody(Image(2)));
                Assert.AreEqual(HttpStatusCode.OK, drafted.StatusCode, await drafted.Content.ReadAsStringAsync());
                var json = await drafted.Content.ReadFromJsonAsync<JsonElement>();
                Assert.AreEqual(
                    _network.DraftReports([_network.LoadImage(Image(2))], method)[0].Text,
                    json.GetProperty("text").GetString()
                );
            }

            // Attention: a PNG of one 256-pixel panel per sentence (the CheXpert five's by default).
            foreach (var (query, panels) in new[] { ("", 5), ("?sentence=Small%20left%20effusion.&sentence=No%20pneumothorax.", 2) })
            {
                using var drawn = await client.PostAsync("v1/attention" + query, ImageBody(Image(2)));
                Assert.AreEqual(HttpStatusCode.OK, drawn.StatusCode, await drawn.Content.ReadAsStringAsync());
                Assert.AreEqual("image/png", drawn.Content.Headers.ContentType?.MediaType);
                using var picture = SkiaSharp.SKBitmap.Decode(await drawn.Content.ReadAsByteArrayAsync());
                Assert.AreEqual(256 * panels, picture.Width);
            }

            // The OpenAPI document names every endpoint.
            var openApi = await client.GetStringAsync("openapi/v1.json");
            foreach (var path in new[] { "/v1/embed/image", "/v1/embed/report", "/v1/classify", "/v1/draft", "/v1/attention", "/healthz" })
                StringAssert.Contains(openApi, $"\"{path}\"");

            var metrics = await client.GetStringAsync("metrics");
            StringAssert.Contains(metrics, "prior_requests_total{endpoint=\"/v1/embed/image\",status=\"200\"} 3");
            StringAssert.Contains(metrics, "prior_batch_size_count{kind=\"embed-image\"}");
            StringAssert.Contains(metrics, "prior_rejected_total 0");
            var resident = metrics.Split('\n').Single(l => l.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal));
            Assert.IsGreaterThan(50L << 20, long.Parse(resident.Split(' ')[1]), "a server holding a network uses more than 50 MiB");
            StringAssert.Contains(metrics, "dotnet_gc_heap_bytes ");
        }
    }

    [TestMethod]
    public async Task ThePageRendersScoresAttentionAndADraftInHeadlessChromium()
    {
        var (server, client) = await Start();
        await using (server)
        using (client)
        {
            using var classified = await client.PostAsync("v1/classify", ImageBody(Image(3)));
            var scores = (await classified.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("scores");
            // The page loads the image from ?image= (a data: URL of the synthetic JPEG) as if it had been dropped on it.
            var page = new Uri(
                server.Address,
                "?image=" + Uri.EscapeDataString("data:image/jpeg;base64," + Convert.ToBase64String(File.ReadAllBytes(Image(3))))
            );
            var dom = HeadlessBrowser.DumpDom(page);
            StringAssert.Contains(dom, "data-done=\"yes\"", "the page finished its requests");
            foreach (var score in scores.EnumerateObject())
            {
                var shown = score.Value.GetSingle().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
                StringAssert.Contains(dom, $"<td>{score.Name}</td><td>{shown}</td>");
            }
            StringAssert.Contains(dom, "src=\"blob:", "the attention picture");
            Assert.DoesNotContain("<p id=\"draft\"></p>", dom, "a draft is shown");
            StringAssert.Contains(dom, "<p id=\"error\"></p>", "no error is shown");

            // The screenshot shows the score bars (the page's green, #44aa77).
            var png = Path.Combine(SyntheticFixture.NewTempFolder(), "page.png");
            HeadlessBrowser.Screenshot(page, png, 1100, 1400);
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            int green = 0;
            for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                if (bitmap.GetPixel(x, y) is { Red: 0x44, Green: 0xaa, Blue: 0x77 })
                    green++;
            Assert.IsGreaterThan(20, green, "score bars drawn in the screenshot");
        }
    }

    [TestMethod]
    public async Task BadInputGetsAProblemBodyNamingWhatIsWrong()
    {
        var (server, client) = await Start(new ServeOptions { MaxUploadBytes = 200_000 });
        await using (server)
        using (client)
        {
            async Task Expect(HttpResponseMessage response, HttpStatusCode status, string detail)
            {
                var body = await response.Content.ReadAsStringAsync();
                Assert.AreEqual(status, response.StatusCode, body);
                Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, body);
                StringAssert.Contains(body, detail);
                Assert.DoesNotContain("   at ", body, "no stack trace");
                response.Dispose();
            }
            var text = new StringContent("hello", Encoding.UTF8, "text/plain");
            await Expect(await client.PostAsync("v1/embed/image", text), HttpStatusCode.UnsupportedMediaType, "not 'text/plain");
            var garbage = new ByteArrayContent(Encoding.ASCII.GetBytes("this is not a JPEG at all"));
            garbage.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            await Expect(await client.PostAsync("v1/classify", garbage), (HttpStatusCode)422, "not an image this library reads");
            var truncated = new ByteArrayContent(File.ReadAllBytes(Image(0))[..600]);
            truncated.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            await Expect(await client.PostAsync("v1/embed/image", truncated), (HttpStatusCode)422, "truncated");
            var huge = new ByteArrayContent(new byte[300_000]);
            huge.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            await Expect(await client.PostAsync("v1/embed/image", huge), HttpStatusCode.RequestEntityTooLarge, "200,000 bytes");
            var empty = new ByteArrayContent([]);
            empty.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            await Expect(await client.PostAsync("v1/embed/image", empty), HttpStatusCode.BadRequest, "no image bytes");
            await Expect(await client.PostAsync("v1/draft?method=copy", ImageBody(Image(0))), HttpStatusCode.BadRequest, "not 'copy'");
            await Expect(await client.PostAsync("v1/draft?method=prototype", ImageBody(Image(0))), HttpStatusCode.Conflict, "stage 3");
            await Expect(
                await client.PostAsync("v1/classify?classes=Edema", ImageBody(Image(0))),
                HttpStatusCode.BadRequest,
                "two distinct"
            );
            await Expect(await client.PostAsJsonAsync("v1/embed/report", new { text = "   " }), HttpStatusCode.BadRequest, "no sentence");
            var malformed = new StringContent("{\"text\": ", Encoding.UTF8, "application/json");
            await Expect(await client.PostAsync("v1/embed/report", malformed), HttpStatusCode.BadRequest, "Malformed JSON");
            await Expect(await client.GetAsync("v1/nothing-here"), HttpStatusCode.NotFound, "404");
        }
    }

    [TestMethod]
    public async Task UploadsBeyondTheInFlightBudgetGet503UntilTheHeldOnesAreDone()
    {
        // Two slow clients each declare the largest upload (1 MiB) and hold it half sent: together they fill the 2 MiB
        // in-flight budget, so a third upload, however small, is refused before it is read; once they finish it is served.
        var (server, client) = await Start(new ServeOptions { MaxUploadBytes = 1 << 20, MaxInflightUploadBytes = 2 << 20 });
        await using (server)
        using (client)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var held = Enumerable.Range(0, 2).Select(_ => client.PostAsync("v1/classify", new HeldBody(1 << 20, gate.Task))).ToList();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (server.UploadBytesInFlight < 2 << 20 && clock.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(20);
            Assert.AreEqual(2L << 20, server.UploadBytesInFlight, "both held uploads reserved their declared length");
            using (var refused = await client.PostAsync("v1/classify", ImageBody(Image(0))))
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.AreEqual(HttpStatusCode.ServiceUnavailable, refused.StatusCode, body);
                Assert.AreEqual("1", refused.Headers.RetryAfter?.ToString());
                StringAssert.Contains(body, "--max-inflight-upload-mb (2 MiB)");
            }
            gate.SetResult();
            foreach (var answer in await Task.WhenAll(held))
            {
                Assert.AreEqual((HttpStatusCode)422, answer.StatusCode, "the held bodies are zeros: read, then refused as no image");
                answer.Dispose();
            }
            Assert.AreEqual(0L, server.UploadBytesInFlight, "every reservation given back");
            using var served = await client.PostAsync("v1/classify", ImageBody(Image(0)));
            Assert.AreEqual(HttpStatusCode.OK, served.StatusCode);
        }
    }

    // A PNG-typed body of a declared length that sends 16 bytes, then waits for the gate before sending the rest.
    private sealed class HeldBody : HttpContent
    {
        private readonly int _length;
        private readonly Task _gate;

        public HeldBody(int length, Task gate)
        {
            (_length, _gate) = (length, gate);
            Headers.ContentType = new MediaTypeHeaderValue("image/png");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(new byte[16]);
            await stream.FlushAsync();
            await _gate;
            await stream.WriteAsync(new byte[_length - 16]);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }

    [TestMethod]
    public async Task BombsAndLyingImagesAreRefusedBeforeDecodingNamingTheBudget()
    {
        var (server, client) = await Start(new ServeOptions { DecodeWorkers = 1 });
        await using (server)
        using (client)
        {
            // A decompression bomb: 19,000 × 19,000 pixels (361 M) in a few hundred kilobytes of PNG.
            var bomb = new ByteArrayContent(Data.Images.HostileImages.GrayPng(19_000, 19_000));
            bomb.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var refused = await client.PostAsync("v1/classify", bomb);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode, body);
            Assert.AreEqual("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            StringAssert.Contains(body, "361,000,000 pixels is more than the pixel budget of 50,000,000");
            StringAssert.Contains(body, "--max-pixels");
            // A 335-byte-scale JPEG whose frame header claims 19,000 × 19,000: corrupt, 422.
            var lie = new ByteArrayContent(Data.Images.HostileImages.WithJpegSize(File.ReadAllBytes(Image(0)), 19_000, 19_000));
            lie.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var corrupt = await client.PostAsync("v1/classify", lie);
            body = await corrupt.Content.ReadAsStringAsync();
            Assert.AreEqual((HttpStatusCode)422, corrupt.StatusCode, body);
            StringAssert.Contains(body, "corrupt: the JPEG declares 19,000 × 19,000 pixels");
            // Meanwhile, and after, ordinary images are served, and never more than one decode ran at once.
            using var fine = await client.PostAsync("v1/classify", ImageBody(Image(0)));
            Assert.AreEqual(HttpStatusCode.OK, fine.StatusCode);
            Assert.AreEqual(1, server.Metrics.DecodingPeak);
            StringAssert.Contains(await client.GetStringAsync("metrics"), "prior_decoding_peak 1");
        }
    }

    [TestMethod]
    public async Task AFullQueueIsRefusedWith503AndRetryAfterAndNothingAcceptedIsLost()
    {
        using var gate = new SemaphoreSlim(0);
        var (server, client) = await Start(
            new ServeOptions
            {
                MaxBatch = 1,
                MaxQueue = 1,
                BeforeEachBatch = () => gate.Wait(),
            }
        );
        await using (server)
        using (client)
        {
            // The first request's batch waits at the gate; the second fills the queue; the third is refused.
            var first = client.PostAsync("v1/embed/image", ImageBody(Image(0)));
            await WaitUntil(() => server.Metrics.Text().Contains("prior_queue_depth{kind=\"embed-image\"} 0", StringComparison.Ordinal));
            await Task.Delay(50);
            var second = client.PostAsync("v1/embed/image", ImageBody(Image(1)));
            await WaitUntil(() => server.Metrics.Text().Contains("prior_queue_depth{kind=\"embed-image\"} 1", StringComparison.Ordinal));
            using var third = await client.PostAsync("v1/embed/image", ImageBody(Image(2)));
            Assert.AreEqual(HttpStatusCode.ServiceUnavailable, third.StatusCode);
            Assert.AreEqual("1", third.Headers.GetValues("Retry-After").Single());
            Assert.AreEqual("application/problem+json", third.Content.Headers.ContentType?.MediaType);
            StringAssert.Contains(await third.Content.ReadAsStringAsync(), "--max-queue 1");
            // Refused before the upload is read: bytes that are no image get the 503 too, not the 422 of a decode.
            var garbage = new ByteArrayContent(Encoding.ASCII.GetBytes("this is not a JPEG at all"));
            garbage.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var fourth = await client.PostAsync("v1/embed/image", garbage);
            Assert.AreEqual(HttpStatusCode.ServiceUnavailable, fourth.StatusCode, "a full queue refuses before decoding");
            Assert.AreEqual("1", fourth.Headers.GetValues("Retry-After").Single());
            gate.Release(2);
            using var one = await first;
            using var two = await second;
            Assert.AreEqual(HttpStatusCode.OK, one.StatusCode, "an accepted request is answered");
            Assert.AreEqual(HttpStatusCode.OK, two.StatusCode, "an accepted request is answered");
            StringAssert.Contains(await client.GetStringAsync("metrics"), "prior_rejected_total 2");
        }
    }

    [TestMethod]
    public async Task ReadyzRefusesUntilTheWarmUpHasLabelledTheSentenceMemory()
    {
        Assert.IsTrue(_network.SentenceMemory!.HasEmbeddings, "the test model drafts by retrieval, so it has a memory to label");
        using var gate = new SemaphoreSlim(0);
        var (server, client) = await Start(new ServeOptions { DuringWarmUp = () => gate.Wait() });
        await using (server)
        using (client)
        {
            Assert.AreEqual("ok\n", await client.GetStringAsync("healthz"), "alive while warming up");
            using (var warming = await client.GetAsync("readyz"))
            {
                Assert.AreEqual(HttpStatusCode.ServiceUnavailable, warming.StatusCode);
                StringAssert.Contains(await warming.Content.ReadAsStringAsync(), "Warming up");
            }
            gate.Release();
            await WaitUntil(() => server.WarmedUp.IsCompleted);
            Assert.AreEqual("ready\n", await client.GetStringAsync("readyz"));
        }
    }

    [TestMethod]
    public async Task ARequestWhoseClientHasGoneIsNeverComputed()
    {
        using var gate = new SemaphoreSlim(0);
        int batches = 0;
        var options = new ServeOptions { MaxBatch = 1, MaxQueue = 4 };
        var metrics = new ServeMetrics();
        await using var batcher = new InferenceBatcher<int, int>(
            "test",
            inputs =>
            {
                gate.Wait();
                Interlocked.Increment(ref batches);
                return inputs.Select(i => i * 10).ToList();
            },
            options,
            metrics
        );
        var running = batcher.TryRun(1, CancellationToken.None)!;
        await WaitUntil(() => batcher.Depth == 0);
        using var gone = new CancellationTokenSource();
        var abandoned = batcher.TryRun(2, gone.Token)!;
        var kept = batcher.TryRun(3, CancellationToken.None)!;
        gone.Cancel();
        gate.Release(3);
        Assert.AreEqual(10, await running);
        Assert.AreEqual(30, await kept);
        await Assert.ThrowsAsync<TaskCanceledException>(() => abandoned);
        Assert.AreEqual(2, batches, "the abandoned input was dropped before its batch");
    }

    [TestMethod]
    public async Task TheCommandServesUntilSigtermAndThenStopsCleanly()
    {
        var model = Path.Combine(SyntheticFixture.NewTempFolder(), "model.zip");
        TestNetwork.Instance.Save(model);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "prior.dll"), "serve", "--model", model, "--port", "0" })
            info.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(info)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            var match = System.Text.RegularExpressions.Regex.Match(line ?? "", @"at (http://127\.0\.0\.1:\d+/)");
            Assert.IsTrue(match.Success, $"the address in: {line}");
            using var client = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value) };
            Assert.AreEqual("ok\n", await client.GetStringAsync("healthz"));
            using var embedded = await client.PostAsync("v1/embed/image", ImageBody(Image(0)));
            Assert.AreEqual(HttpStatusCode.OK, embedded.StatusCode);
            using (
                var kill = System.Diagnostics.Process.Start(
                    "kill",
                    ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                )
            )
                await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.AreEqual(0, process.ExitCode, await process.StandardError.ReadToEndAsync());
            StringAssert.Contains(await process.StandardOutput.ReadToEndAsync(), "stopped");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 400 && !condition(); i++)
            await Task.Delay(25);
        Assert.IsTrue(condition(), "timed out waiting");
    }
}
