using Prior.MLNet.Tool.Report;

namespace Prior.MLNet.Tests.Tool;

/// <summary>The one-page HTML report and its pictures, rendered by a headless browser.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class HtmlReportTests
{
    [TestMethod]
    public void TheReportRendersEveryPictureAndTableFitsItsWidthAndEscapesText()
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
        var sentence =
            "There is a small left pleural effusion and a very long unbroken token "
            + string.Concat(Enumerable.Repeat("pneumothorax", 30))
            + ".";
        HtmlReport.Write(
            path,
            "test run",
            [
                new HtmlReport.Table(
                    "Zero-shot",
                    "caption <b>not markup</b>",
                    ["figure", "PRIOR", "baseline"],
                    [
                        ["accuracy", "0.750", "0.200"],
                        ["macro F1", "0.700", "0.200"],
                    ],
                    new HtmlReport.Picture("confusion", Path.Combine(folder, "confusion.png"))
                ),
                new HtmlReport.Table(
                    "Retrieval",
                    "P@K",
                    ["direction", "P@1"],
                    [
                        ["image → report", "0.500"],
                    ]
                ),
            ],
            [("preset", "tiny")],
            [new("loss", Path.Combine(folder, "loss.png")), new("attention", Path.Combine(folder, "attention.png"))],
            [
                new HtmlReport.DraftExample(
                    Directory.EnumerateFiles(SyntheticFixture.MimicJpg, "*.jpg", SearchOption.AllDirectories).First(),
                    sentence,
                    [("nearest report", "No acute cardiopulmonary process."), ("constant report", sentence)]
                ),
            ],
            [("note", "<script>document.title = 'injected'</script>")]
        );

        var dom = HeadlessBrowser.DumpDom(path);
        StringAssert.Contains(dom, "data-rendered=\"ok\"", "every picture decoded");
        StringAssert.Contains(dom, "data-pictures=\"4\"", "three figures and one thumbnail");
        StringAssert.Contains(dom, "data-figures=\"3\"");
        StringAssert.Contains(dom, "data-tables=\"2\"", "a table per evaluation");
        StringAssert.Contains(dom, "data-overflow=\"\"", "nothing is wider than the page, the long token included");
        StringAssert.Contains(dom, "<th>accuracy</th><td class=\"number\">0.750</td>");
        StringAssert.Contains(dom, "<dt>nearest report</dt><dd>No acute cardiopulmonary process.</dd>", "drafts are HTML, not Markdown");
        StringAssert.Contains(dom, "caption &lt;b&gt;not markup&lt;/b&gt;");
        StringAssert.Contains(dom, "&lt;script&gt;document.title", "notes are text, not markup");
        StringAssert.Contains(dom, "<title>test run</title>");

        // The check can fail: a picture that does not decode is named.
        File.WriteAllBytes(Path.Combine(folder, "bad.png"), [1, 2, 3, 4]);
        var broken = Path.Combine(folder, "broken.html");
        HtmlReport.Write(broken, "broken", [], [], [new("bad", Path.Combine(folder, "bad.png"))], [], []);
        StringAssert.Contains(HeadlessBrowser.DumpDom(broken), "data-rendered=\"broken: bad.png\"");

        // And so can the width check: a picture wider than the page with its width fixed is named.
        var wide = Path.Combine(folder, "wide.html");
        HtmlReport.Write(wide, "wide", [], [("a setting", string.Concat(Enumerable.Repeat("x", 100)))], [], [], []);
        File.WriteAllText(wide, File.ReadAllText(wide).Replace("<h1>", "<h1 style=\"width: 5000px\">"));
        StringAssert.Contains(HeadlessBrowser.DumpDom(wide), "data-overflow=\"h1\"");
    }
}
