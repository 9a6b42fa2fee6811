using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Tests.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Data.CheXpert;

/// <summary>The PRIOR authors' own 5x200 selection: shipped, read exactly, mapped onto an install, gaps named.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class CheXpertAuthorsSubsetTests
{
    [TestMethod]
    public void TheShippedSelectionHoldsTheAuthorsEntries()
    {
        var entries = CheXpertAuthorsSubset.Load();
        Assert.HasCount(1000, entries);
        CollectionAssert.AreEqual(
            new[] { 200, 200, 200, 200, 200 },
            Enumerable.Range(0, 5).Select(c => entries.Count(e => e.Class == c)).ToArray()
        );
        // Hand-checked against the file: the first entry, the first of each other class, the last.
        Assert.AreEqual(new CheXpertAuthorsSubset.Entry("124248", "train/patient29750/study15/view1_frontal.jpg", 0), entries[0]);
        CollectionAssert.Contains(
            entries.ToList(),
            new CheXpertAuthorsSubset.Entry("207591", "train/patient53599/study1/view1_frontal.jpg", 1)
        );
        CollectionAssert.Contains(
            entries.ToList(),
            new CheXpertAuthorsSubset.Entry("66399", "train/patient15972/study4/view1_frontal.jpg", 2)
        );
        CollectionAssert.Contains(
            entries.ToList(),
            new CheXpertAuthorsSubset.Entry("94700", "train/patient22760/study1/view1_frontal.jpg", 3)
        );
        CollectionAssert.Contains(
            entries.ToList(),
            new CheXpertAuthorsSubset.Entry("34569", "train/patient08455/study18/view1_frontal.jpg", 4)
        );
        Assert.AreEqual(new CheXpertAuthorsSubset.Entry("71141", "train/patient17051/study13/view1_frontal.jpg", 4), entries[^1]);
        Assert.HasCount(1000, entries.Select(e => e.ImagePath).Distinct().ToList());
    }

    /// <summary>A CheXpert-v1.0-small folder holding the first <paramref name="perClass"/> images of each class of the selection.</summary>
    internal static (string Root, IReadOnlyList<CheXpertAuthorsSubset.Entry> Present) PartialInstall(int perClass)
    {
        var root = Path.Combine(SyntheticFixture.NewTempFolder(), "CheXpert-v1.0-small");
        var entries = CheXpertAuthorsSubset.Load();
        var present = Enumerable.Range(0, 5).SelectMany(c => entries.Where(e => e.Class == c).Take(perClass)).ToList();
        var jpeg = GrayscaleJpeg.Encode(Enumerable.Range(0, 64 * 64).Select(i => (byte)(i % 251)).ToArray(), 64, 64);
        foreach (var entry in present)
        {
            var path = Path.Combine(root, entry.ImagePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, jpeg);
        }
        File.WriteAllText(Path.Combine(root, "train.csv"), string.Join(',', CheXpertColumns.Header) + "\n");
        return (root, present);
    }

    [TestMethod]
    public void APartialInstallLoadsThePresentImagesAndNamesTheMissingOnes()
    {
        var (root, present) = PartialInstall(perClass: 2);
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = root, Csv = CheXpertAuthorsSubset.Name }, out var summary);
        var rows = ml.Data.CreateEnumerable<CheXpertImage>(view, false).ToList();
        Assert.HasCount(10, rows);
        Assert.AreEqual(10, summary.Accepted);
        Assert.AreEqual(990, summary.Count(SkipReason.MissingImage));
        var missing = CheXpertAuthorsSubset.Load().Except(present).First();
        Assert.IsTrue(
            summary.Items.Any(i =>
                i.Path == Path.Combine(root, missing.ImagePath) && i.Detail.Contains($"entry '{missing.Id}'", StringComparison.Ordinal)
            ),
            "a missing image is named with its entry"
        );
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(Path.Combine(root, present[i].ImagePath), rows[i].ImagePath);
            Assert.AreEqual("CheXpert-v1.0-small/" + present[i].ImagePath, rows[i].Path);
            for (int k = 0; k < 5; k++)
                Assert.AreEqual(k == present[i].Class ? 1f : 0f, rows[i].Labels[ChexpertLabels.IndexOf(ChexpertLabels.CompetitionFive[k])]);
            Assert.IsTrue(float.IsNaN(rows[i].Labels[ChexpertLabels.IndexOf("No Finding")]), "labels outside the five are blank");
        }
    }

    [TestMethod]
    public void AJsonSelectionIsToldByItsContentAndABadEntryIsNamed()
    {
        var (root, present) = PartialInstall(perClass: 1);
        var file = Path.Combine(root, "my-selection.txt");
        File.WriteAllText(
            file,
            $$$"""
              {"7": {"image_path": "{{{present[3].ImagePath}}}", "label": [0, 0, 0, 1, 0]},
               "8": {"image_path": "train/patient99999/study1/view1_frontal.jpg", "label": [1, 0, 0, 0, 0]}}
            """
        );
        var ml = new MLContext(seed: 1);
        var rows = ml
            .Data.CreateEnumerable<CheXpertImage>(
                ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = root, Csv = file }, out var summary),
                false
            )
            .ToList();
        Assert.HasCount(1, rows);
        Assert.AreEqual(1f, rows[0].Labels[ChexpertLabels.IndexOf("Edema")]);
        StringAssert.Contains(summary.Items.Single().Detail, "entry '8'");

        File.WriteAllText(file, """{"9": {"image_path": "train/p/s/v.jpg", "label": [1, 1, 0, 0, 0]}}""");
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = root, Csv = file })
        );
        StringAssert.Contains(error.Message, $"{file}: entry '9' has label [1, 1, 0, 0, 0]");
    }

    [TestMethod]
    public void ZeroShotWithTheAuthorsSubsetScoresThePresentImagesAndNamesTheRest()
    {
        var (root, _) = PartialInstall(perClass: 2);
        var model = Path.Combine(SyntheticFixture.NewTempFolder(), "model.zip");
        TestNetwork.Instance.Save(model);
        var json = Path.Combine(Path.GetDirectoryName(model)!, "zero-shot.json");
        var result = RunPrior(
            "zero-shot",
            "--model",
            model,
            "--chexpert",
            root,
            "--subset",
            "authors",
            "--prompts",
            "original",
            "--json",
            json
        );
        Assert.AreEqual(0, result.Code, result.Err + result.Out);
        StringAssert.Contains(result.Out, "scoring 10 of the 1000 images the subset lists");
        Assert.AreEqual(990, result.Out.Split('\n').Count(l => l.StartsWith("  not scored: MissingImage: ", StringComparison.Ordinal)));
        StringAssert.Contains(result.Out, "accuracy ");
        // The JSON says what was scored and under which label protocol.
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.AreEqual(10, figures.RootElement.GetProperty("images").GetDouble());
        Assert.AreEqual("authors", figures.RootElement.GetProperty("subset").GetString());
        StringAssert.StartsWith(figures.RootElement.GetProperty("labelPolicy").GetString(), "5x200: each image's class is the one");
    }
}
