using Prior.MLNet.Tool.Report;

namespace Prior.MLNet.Tests.Tool;

/// <summary>The one-page HTML report and its pictures, rendered by a headless browser.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class HtmlReportTests
{
    [TestMethod]
    public void TheReportRendersEveryPictureInAHeadlessBrowserAndEscapesText()
    {
        var folder = SyntheticFixture.NewTempFolder();
        var random = new Random(3);
        var terms = new Dictionary<string, IReadOnlyList<double>>
        {
            ["global"] = Enumerable.Range(0, 120).Select(i => 3 * Math.Exp(-i / 40.0) + 0.2 * random.NextDouble()).ToList(),
            ["localImage"] = Enumerable.Range(0, 120).Select(i => -0.5 - 0.3 * i / 120.0 + 0.1 * random.NextDouble()).ToList(),
        };
        Charts.LossCurves(Path.Combine(folder, "loss.png"), [("stage 1", terms), ("stage 2", terms)]);
        string[] classes = ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion"];
        Charts.ConfusionMatrix(
            Path.Combine(folder, "confusion.png"),
            classes,
            classes.Select((_, r) => (IReadOnlyList<double>)classes.Select((_, c) => r == c ? 30.0 : 5.0).ToList()).ToList(),
            "test"
        );
        var gray = Enumerable.Range(0, 128 * 128).Select(i => (byte)(i % 128 * 2)).ToArray();
        Charts.AttentionMaps(
            Path.Combine(folder, "attention.png"),
            [(gray, 128, Enumerable.Range(0, 16).Select(i => (float)i).ToArray(), 4, "There is a small left pleural effusion.")]
        );
        var path = Path.Combine(folder, "index.html");
        HtmlReport.Write(
            path,
            "test run",
            [new HtmlReport.Metric("accuracy", 0.75, "zero-shot accuracy")],
            [("preset", "tiny")],
            [
                new("loss", Path.Combine(folder, "loss.png")),
                new("confusion", Path.Combine(folder, "confusion.png")),
                new("attention", Path.Combine(folder, "attention.png")),
            ],
            [("note", "<script>document.title = 'injected'</script>")]
        );

        var dom = HeadlessBrowser.DumpDom(path);
        StringAssert.Contains(dom, "data-rendered=\"ok\"", "every picture decoded");
        StringAssert.Contains(dom, "data-pictures=\"3\"");
        StringAssert.Contains(dom, "&lt;script&gt;document.title", "notes are text, not markup");
        StringAssert.Contains(dom, "<title>test run</title>");

        // The check can fail: a picture that does not decode is named.
        File.WriteAllBytes(Path.Combine(folder, "bad.png"), [1, 2, 3, 4]);
        var broken = Path.Combine(folder, "broken.html");
        HtmlReport.Write(broken, "broken", [], [], [new("bad", Path.Combine(folder, "bad.png"))], []);
        StringAssert.Contains(HeadlessBrowser.DumpDom(broken), "data-rendered=\"broken: bad.png\"");
    }
}
