using System.Security.Cryptography;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Reports;
using Prior.MLNet.Synthetic;

namespace Prior.MLNet.Tests.Synthetic;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SyntheticDatasetTests
{
    private static Dictionary<string, string> HashTree(string root) =>
        Directory
            .EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [TestMethod]
    public void SameSeedWritesTheSameBytesAndAnotherSeedDoesNot()
    {
        var a = SyntheticFixture.NewTempFolder();
        var b = SyntheticFixture.NewTempFolder();
        var c = SyntheticFixture.NewTempFolder();
        Options(a, 11, parallelism: 2);
        Options(b, 11, parallelism: 1);
        Options(c, 12, parallelism: 2);
        var ha = HashTree(a);
        var hb = HashTree(b);
        CollectionAssert.AreEquivalent(ha.Keys.ToList(), hb.Keys.ToList());
        foreach (var (file, hash) in ha)
            Assert.AreEqual(hash, hb[file], $"{file} differs between two runs with the same seed");
        var hc = HashTree(c);
        Assert.IsTrue(ha.Keys.Intersect(hc.Keys).Count(k => ha[k] != hc[k]) > 0 || !ha.Keys.SequenceEqual(hc.Keys));
        Assert.AreNotEqual(
            File.ReadAllText(Path.Combine(a, "synth-manifest.json")),
            File.ReadAllText(Path.Combine(c, "synth-manifest.json"))
        );
    }

    private static void Options(string folder, long seed, int parallelism) =>
        SyntheticDatasetGenerator.Generate(
            new SyntheticDatasetOptions
            {
                OutputDirectory = folder,
                Studies = 30,
                CheXpertImages = 40,
                ImageSize = 48,
                Seed = seed,
                DefectRate = 0.2,
                MaxDegreeOfParallelism = parallelism,
            }
        );

    [TestMethod]
    public void WritesTheRealLayoutAndLeavesNoStagingFolder()
    {
        var root = SyntheticFixture.Root;
        foreach (
            var file in new[]
            {
                "mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-metadata.csv.gz",
                "mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-split.csv.gz",
                "mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-chexpert.csv.gz",
                "CheXpert-v1.0-small/train.csv",
                "CheXpert-v1.0-small/valid.csv",
                "synth-manifest.json",
            }
        )
            Assert.IsTrue(File.Exists(Path.Combine(root, file)), file);
        var image = Directory.EnumerateFiles(Path.Combine(root, "mimic-cxr-jpg/2.0.0/files"), "*.jpg", SearchOption.AllDirectories).First();
        StringAssert.Matches(
            Path.GetRelativePath(root, image).Replace('\\', '/'),
            new System.Text.RegularExpressions.Regex(
                @"^mimic-cxr-jpg/2\.0\.0/files/p1\d/p1\d{7}/s5\d{7}/[0-9a-f]{8}(-[0-9a-f]{8}){4}\.jpg$"
            )
        );
        var report = Directory.EnumerateFiles(Path.Combine(root, "mimic-cxr-reports/files"), "*.txt", SearchOption.AllDirectories).First();
        StringAssert.Matches(
            Path.GetRelativePath(root, report).Replace('\\', '/'),
            new System.Text.RegularExpressions.Regex(@"^mimic-cxr-reports/files/p1\d/p1\d{7}/s5\d{7}\.txt$")
        );
        Assert.IsFalse(Directory.EnumerateDirectories(root, ".synth-staging-*").Any());
        var (_, width, height) = Prior.MLNet.Data.Images.GrayscaleJpeg.Decode(image);
        Assert.AreEqual((64, 64), (width, height));
    }

    [TestMethod]
    public void ComposedReportsSplitIntoExactlyTheSentencesTheyWereWrittenFrom()
    {
        for (int i = 0; i < 400; i++)
        {
            var random = DeterministicRandom.Derive(3, "composer-test", i);
            var synthetic = SyntheticCase.Sample(random);
            var style = (ReportStyle)(i % 4);
            var report = ReportComposer.Compose(synthetic, i % 3 == 0 ? SyntheticView.AP : SyntheticView.PA, style, random);
            var parsed = ParsedReport.Parse(report.Text);
            if (style == ReportStyle.NoUsableSection)
            {
                Assert.IsNull(parsed, report.Text);
                continue;
            }
            Assert.IsNotNull(parsed, report.Text);
            CollectionAssert.AreEqual(report.FindingsSentences.ToArray(), parsed.FindingsSentences.ToArray(), report.Text);
            CollectionAssert.AreEqual(report.ImpressionSentences.ToArray(), parsed.ImpressionSentences.ToArray(), report.Text);
            if (style == ReportStyle.TooShort)
                Assert.IsLessThan(4, parsed.SentenceCount);
            else
                Assert.IsGreaterThanOrEqualTo(4, parsed.SentenceCount, report.Text);
        }
    }

    [TestMethod]
    public void LabelsAgreeWithTheReportText()
    {
        for (int i = 0; i < 400; i++)
        {
            var random = DeterministicRandom.Derive(5, "labels-test", i);
            var synthetic = SyntheticCase.Sample(random);
            var text = ReportComposer.Compose(synthetic, SyntheticView.PA, ReportStyle.Standard, random).Text.ToLowerInvariant();
            var labels = synthetic.Labels();
            float L(string name) => labels[ChexpertLabels.IndexOf(name)];
            foreach (var f in synthetic.Findings)
            {
                var word = f.Kind switch
                {
                    FindingKind.Cardiomegaly => "cardi",
                    FindingKind.PleuralEffusion => "effusion",
                    FindingKind.Atelectasis => "atelectasis",
                    FindingKind.Consolidation => "consolidat",
                    FindingKind.Edema => "edema",
                    FindingKind.Pneumothorax => "pneumothorax",
                    FindingKind.SupportDevices => "tube",
                    _ => "nodul",
                };
                if (
                    f.Kind == FindingKind.SupportDevices
                    && !f.Devices.HasFlag(DeviceKinds.EndotrachealTube)
                    && !f.Devices.HasFlag(DeviceKinds.NasogastricTube)
                )
                    word = "catheter";
                StringAssert.Contains(text, word, $"{f.Kind} drawn but not described");
                Assert.AreEqual(f.Uncertain ? -1f : 1f, L(SyntheticCase.LabelName(f.Kind)));
                if (
                    f.Side != BodySide.Bilateral
                    && f.Kind
                        is FindingKind.PleuralEffusion
                            or FindingKind.Consolidation
                            or FindingKind.Pneumothorax
                            or FindingKind.LungLesion
                )
                    StringAssert.Contains(text, f.Side == BodySide.Right ? "right" : "left");
                if (f.Uncertain)
                    Assert.IsTrue(
                        new[] { "possible", "cannot be excluded", "may ", "could " }.Any(text.Contains),
                        $"uncertain {f.Kind} not hedged: {text}"
                    );
            }
            foreach (var kind in synthetic.Negated)
                Assert.AreEqual(0f, L(SyntheticCase.LabelName(kind)), $"{kind} negated");
            if (L("No Finding") == 1f)
                Assert.IsTrue(synthetic.Findings.All(f => f.Kind == FindingKind.SupportDevices));
        }
    }

    [TestMethod]
    [DataRow(nameof(FindingKind.PleuralEffusion), nameof(BodySide.Right), 0.2, 0.58)]
    [DataRow(nameof(FindingKind.PleuralEffusion), nameof(BodySide.Left), 0.8, 0.58)]
    [DataRow(nameof(FindingKind.Consolidation), nameof(BodySide.Right), 0.3, 0.5)]
    [DataRow(nameof(FindingKind.Consolidation), nameof(BodySide.Left), 0.7, 0.5)]
    public void FindingsAreDrawnOnTheReportedSide(string kindName, string sideName, double expectX, double expectY)
    {
        var (kind, side) = (Enum.Parse<FindingKind>(kindName), Enum.Parse<BodySide>(sideName));
        // Render one anatomy with and without the finding; the difference must sit on the reported side
        // (the patient's right is the image's left).
        var anatomy = Enumerable.Repeat(0.5, 16).ToArray();
        var finding = new SyntheticFinding(kind, false, side, LungZone.Lower, 0.8, DeviceKinds.None, Enumerable.Repeat(0.5, 8).ToArray());
        var with = new SyntheticCase
        {
            Findings = [finding],
            Negated = [],
            NegatesFracture = false,
            Anatomy = anatomy,
        };
        var without = new SyntheticCase
        {
            Findings = [],
            Negated = [],
            NegatesFracture = false,
            Anatomy = anatomy,
        };
        const int size = 96;
        var a = ChestRadiographRenderer.Render(with, SyntheticView.PA, size, size, new DeterministicRandom(1));
        var b = ChestRadiographRenderer.Render(without, SyntheticView.PA, size, size, new DeterministicRandom(1));
        double left = 0,
            right = 0,
            cx = 0,
            cy = 0,
            total = 0;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double d = Math.Max(0, a[y * size + x] - b[y * size + x]);
                if (x < size / 2)
                    left += d;
                else
                    right += d;
                cx += d * x;
                cy += d * y;
                total += d;
            }
        }
        Assert.IsGreaterThan(500, total, "the finding changed almost nothing");
        if (side == BodySide.Right)
            Assert.IsGreaterThan(5 * right, left);
        else
            Assert.IsGreaterThan(5 * left, right);
        Assert.AreEqual(expectX, cx / total / size, 0.15);
        Assert.AreEqual(expectY, cy / total / size, 0.1);
    }

    [TestMethod]
    public void CardiomegalyWidensTheHeart()
    {
        var anatomy = Enumerable.Repeat(0.5, 16).ToArray();
        var heart = new SyntheticFinding(
            FindingKind.Cardiomegaly,
            false,
            BodySide.Left,
            LungZone.Lower,
            0.9,
            DeviceKinds.None,
            new double[8]
        );
        var big = ChestRadiographRenderer.Render(
            new SyntheticCase
            {
                Findings = [heart],
                Negated = [],
                NegatesFracture = false,
                Anatomy = anatomy,
            },
            SyntheticView.PA,
            96,
            96,
            new DeterministicRandom(1)
        );
        var normal = ChestRadiographRenderer.Render(
            new SyntheticCase
            {
                Findings = [],
                Negated = [],
                NegatesFracture = false,
                Anatomy = anatomy,
            },
            SyntheticView.PA,
            96,
            96,
            new DeterministicRandom(1)
        );
        // Along the heart's row, the enlarged silhouette brightens pixels on both sides of the normal one.
        int row = (int)(0.56 * 96) * 96;
        int brighter = Enumerable.Range(0, 96).Count(x => big[row + x] > normal[row + x] + 40);
        Assert.IsGreaterThan(8, brighter);
    }

    [TestMethod]
    public void InvalidOptionsAreRejectedByName()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            SyntheticDatasetGenerator.Generate(
                new SyntheticDatasetOptions { OutputDirectory = SyntheticFixture.NewTempFolder(), ImageSize = 8 }
            )
        );
        StringAssert.Contains(ex.Message, "ImageSize");
    }
}
