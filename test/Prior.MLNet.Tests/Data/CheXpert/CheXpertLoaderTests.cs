using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Csv;

namespace Prior.MLNet.Tests.Data.CheXpert;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class CheXpertLoaderTests
{
    private static List<CheXpertImage> Rows(IDataView view) =>
        new MLContext().Data.CreateEnumerable<CheXpertImage>(view, reuseRowObject: false).ToList();

    [TestMethod]
    public void CountsRowsAndSkipsAsTheGeneratorPlantedThem()
    {
        var manifest = SyntheticFixture.Manifest;
        var view = new MLContext().Data.LoadCheXpert(
            new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Views = CheXpertViews.All },
            out var summary
        );
        var reported = summary.Skipped.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value);
        CollectionAssert.AreEquivalent(manifest.CheXpertTrainSkips.ToList(), reported.ToList(), summary.Describe());
        int skipped = manifest.CheXpertTrainSkips.Values.Sum();
        Assert.AreEqual(manifest.CheXpertTrainRows - skipped, summary.Accepted);
        Assert.AreEqual(summary.Accepted, Rows(view).Count);
        Assert.IsTrue(
            summary
                .Items.Where(i => i.Reason == SkipReason.MalformedRow)
                .All(i => i.Row is not null && i.Path.EndsWith("train.csv", StringComparison.Ordinal))
        );
    }

    [TestMethod]
    public void ViewFilteringKeepsOnlyTheAskedViews()
    {
        var ml = new MLContext();
        var all = Rows(ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Views = CheXpertViews.All }));
        var frontal = Rows(ml.Data.LoadCheXpert(SyntheticFixture.CheXpert));
        var lateral = Rows(
            ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Views = CheXpertViews.Lateral })
        );
        Assert.IsTrue(frontal.All(r => r.View == "Frontal" && r.Projection is "AP" or "PA"));
        Assert.IsTrue(lateral.All(r => r.View == "Lateral" && r.Projection == ""));
        Assert.AreEqual(all.Count, frontal.Count + lateral.Count);
        Assert.IsTrue(
            frontal.All(r =>
                File.Exists(r.ImagePath)
                && r.ImagePath.EndsWith(
                    r.Path["CheXpert-v1.0-small/".Length..].Replace('/', Path.DirectorySeparatorChar),
                    StringComparison.Ordinal
                )
            )
        );
    }

    [TestMethod]
    [DataRow(UncertaintyPolicy.Keep, -1f)]
    [DataRow(UncertaintyPolicy.Zeros, 0f)]
    [DataRow(UncertaintyPolicy.Ones, 1f)]
    [DataRow(UncertaintyPolicy.Ignore, float.NaN)]
    public void UncertaintyPoliciesMapMinusOneAndLeaveTheRest(UncertaintyPolicy policy, float uncertain)
    {
        var ml = new MLContext();
        var raw = Rows(ml.Data.LoadCheXpert(SyntheticFixture.CheXpert));
        var mapped = Rows(
            ml.Data.LoadCheXpert(
                new CheXpertLoaderOptions
                {
                    Root = SyntheticFixture.CheXpert,
                    UncertainLabels = policy,
                    BlankLabel = 0f,
                }
            )
        );
        Assert.HasCount(raw.Count, mapped);
        int uncertainSeen = 0;
        for (int i = 0; i < raw.Count; i++)
        {
            for (int k = 0; k < 14; k++)
            {
                float r = raw[i].Labels[k],
                    m = mapped[i].Labels[k];
                if (r == -1f)
                {
                    uncertainSeen++;
                    Assert.AreEqual(uncertain, m);
                }
                else if (float.IsNaN(r))
                    Assert.AreEqual(0f, m);
                else
                    Assert.AreEqual(r, m);
            }
        }
        Assert.IsGreaterThan(0, uncertainSeen);
    }

    [TestMethod]
    public void FiveByTwoHundredHasTwoHundredFrontalImagesPerClassEachPositiveForExactlyItsClass()
    {
        var output = Path.Combine(SyntheticFixture.NewTempFolder(), "chexpert_5x200.csv");
        var chosen = CheXpertZeroShotSubset.Build(SyntheticFixture.CheXpert, output);
        var view = new MLContext().Data.LoadCheXpert(
            new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Csv = output },
            out var summary
        );
        var rows = Rows(view);
        Assert.HasCount(1000, rows);
        Assert.AreEqual(1000, summary.Accepted);
        Assert.AreEqual(1000, rows.Select(r => r.Path).Distinct().Count());
        var five = ChexpertLabels.CompetitionFive.Select(ChexpertLabels.IndexOf).ToArray();
        foreach (var group in rows.GroupBy(r => five.Single(k => r.Labels[k] == 1f)))
        {
            Assert.HasCount(200, group);
            Assert.IsTrue(group.All(r => r.View == "Frontal"));
            Assert.IsTrue(group.All(r => five.Where(k => k != group.Key).All(k => r.Labels[k] is not (1f or -1f))));
        }
        // The file keeps CheXpert's own header and train.csv's relative paths.
        using var reader = new StreamReader(output);
        CollectionAssert.AreEqual(CheXpertColumns.Header.ToArray(), CsvReader.Read(reader).First().Fields);
        Assert.IsTrue(rows.All(r => r.Path.StartsWith("CheXpert-v1.0-small/train/", StringComparison.Ordinal)));
        CollectionAssert.AreEqual(chosen.Select(c => c.Path).ToArray(), rows.Select(r => r.Path).ToArray());
    }

    [TestMethod]
    public void FiveByTwoHundredIsDeterministicForASeedAndDiffersAcrossSeeds()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var a = CheXpertZeroShotSubset.Build(SyntheticFixture.CheXpert, Path.Combine(dir, "a.csv"), perClass: 50, seed: 1);
        var b = CheXpertZeroShotSubset.Build(SyntheticFixture.CheXpert, Path.Combine(dir, "b.csv"), perClass: 50, seed: 1);
        var c = CheXpertZeroShotSubset.Build(SyntheticFixture.CheXpert, Path.Combine(dir, "c.csv"), perClass: 50, seed: 2);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(dir, "a.csv")), File.ReadAllBytes(Path.Combine(dir, "b.csv")));
        CollectionAssert.AreNotEqual(a.Select(x => x.Path).ToArray(), c.Select(x => x.Path).ToArray());
    }

    [TestMethod]
    public void TooFewCandidatesNamesTheClassAndWritesNothing()
    {
        var output = Path.Combine(SyntheticFixture.NewTempFolder(), "big.csv");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() =>
            CheXpertZeroShotSubset.Build(SyntheticFixture.CheXpert, output, perClass: 100_000)
        );
        StringAssert.Contains(ex.Message, "Atelectasis has");
        Assert.IsFalse(File.Exists(output));
        Assert.IsEmpty(Directory.EnumerateFiles(Path.GetDirectoryName(output)!));
    }
}
