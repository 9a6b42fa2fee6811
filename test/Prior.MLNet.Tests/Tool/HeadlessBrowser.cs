using System.Diagnostics;

namespace Prior.MLNet.Tests.Tool;

/// <summary>Chromium in headless mode: the DOM of a page after its scripts ran (CI installs it; see .ci/run).</summary>
internal static class HeadlessBrowser
{
    public static string DumpDom(string htmlPath)
    {
        var browser = new[] { "chromium", "chromium-browser", "google-chrome" }
            .Select(name =>
                (Environment.GetEnvironmentVariable("PATH") ?? "")
                    .Split(Path.PathSeparator)
                    .Select(dir => Path.Combine(dir, name))
                    .FirstOrDefault(File.Exists)
            )
            .FirstOrDefault(path => path is not null);
        Assert.IsNotNull(
            browser,
            "A headless browser is needed to check that the HTML report renders: install chromium (Debian: apt-get install chromium)."
        );
        var profile = Directory.CreateTempSubdirectory("prior-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(browser) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (
                var argument in new[]
                {
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    $"--user-data-dir={profile}",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                    new Uri(htmlPath).AbsoluteUri,
                }
            )
                info.ArgumentList.Add(argument);
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var dom = process.StandardOutput.ReadToEnd();
            Assert.IsTrue(process.WaitForExit(120_000), "chromium did not finish within two minutes");
            Assert.AreEqual(0, process.ExitCode, stderr.Result);
            return dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
