using System.Diagnostics;
using System.Text.RegularExpressions;
using Prior.MLNet.Tests.Transforms;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// The container definition (Dockerfile): no Docker daemon runs in CI, so the test runs the image's build step itself —
/// the Dockerfile's own <c>dotnet publish</c> line — and checks that what the final stage copies serves a model.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class DockerfileTests
{
    [TestMethod]
    public async Task ThePublishedOutputTheImageCopiesServesAModel()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "Dockerfile"));
        var publish = dockerfile.Single(l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal))["RUN ".Length..];
        var output = Regex.Match(publish, @" -o (\S+)$").Groups[1].Value;
        Assert.AreEqual("/app", output, "the build stage publishes to /app");
        CollectionAssert.Contains(dockerfile, "COPY --from=build /app .", "the final stage copies the published output");
        StringAssert.StartsWith(
            dockerfile.Single(l => l.StartsWith("FROM ", StringComparison.Ordinal) && !l.Contains(" AS ")),
            "FROM mcr.microsoft.com/dotnet/aspnet:"
        );
        Assert.AreEqual(
            "ENTRYPOINT [\"dotnet\", \"prior.dll\"]",
            dockerfile.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal))
        );

        var app = Path.Combine(SyntheticFixture.NewTempFolder(), "app");
        var arguments = publish.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(a => a == "/app" ? app : a).ToList();
        var (code, log) = Run("dotnet", arguments);
        Assert.AreEqual(0, code, log);
        foreach (
            var file in new[]
            {
                "prior.dll",
                "libtorch_cpu.so",
                "libLibTorchSharp.so",
                "libSkiaSharp.so",
                "Microsoft.AspNetCore.OpenApi.dll",
            }
        )
            Assert.IsTrue(Directory.EnumerateFiles(app, file, SearchOption.AllDirectories).Any(), $"{file} is in the published output");

        // What the image's ENTRYPOINT and CMD run, from the published output alone (port 0 instead of 5080).
        var model = Path.Combine(SyntheticFixture.NewTempFolder(), "prior.zip");
        TestNetwork.Instance.Save(model);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = app,
        };
        foreach (var argument in new[] { "prior.dll", "serve", "--model", model, "--host", "127.0.0.1", "--port", "0" })
            info.ArgumentList.Add(argument);
        using var server = Process.Start(info)!;
        try
        {
            var line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            var address = Regex.Match(line ?? "", @"at (http://127\.0\.0\.1:\d+/)");
            Assert.IsTrue(address.Success, $"{line}\n{await server.StandardError.ReadToEndAsync()}");
            using var client = new HttpClient { BaseAddress = new Uri(address.Groups[1].Value) };
            Assert.AreEqual("ok\n", await client.GetStringAsync("healthz"));
            var image = new ByteArrayContent(File.ReadAllBytes(Training.TrainingFixture.Instance.Studies[0].ImagePaths[0]));
            image.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
            using var classified = await client.PostAsync("v1/classify", image);
            Assert.AreEqual(System.Net.HttpStatusCode.OK, classified.StatusCode, await classified.Content.ReadAsStringAsync());
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            Directory.Delete(app, recursive: true);
        }
    }

    private static (int Code, string Log) Run(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
