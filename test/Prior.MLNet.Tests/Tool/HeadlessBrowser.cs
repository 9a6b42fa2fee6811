using System.Diagnostics;

namespace Prior.MLNet.Tests.Tool;

/// <summary>Chromium in headless mode: the DOM of a page after its scripts ran, or a screenshot (CI installs it; see .ci/run).</summary>
internal static class HeadlessBrowser
{
    /// <summary>The DOM of a local HTML file after its scripts ran.</summary>
    public static string DumpDom(string htmlPath) => Run(new Uri(htmlPath), "--dump-dom");

    /// <summary>The DOM of a page after its scripts ran (up to ten seconds of the page's time).</summary>
    public static string DumpDom(Uri page) => Run(page, "--dump-dom");

    /// <summary>A PNG screenshot of a page, <paramref name="width"/> × <paramref name="height"/>, after its scripts ran.</summary>
    public static void Screenshot(Uri page, string pngPath, int width, int height) =>
        Run(page, $"--screenshot={pngPath}", $"--window-size={width},{height}");

    private static string Run(Uri page, params string[] action)
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
            string[] arguments =
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                $"--user-data-dir={profile}",
                "--virtual-time-budget=10000",
                .. action,
                page.AbsoluteUri,
            ];
            foreach (var argument in arguments)
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
