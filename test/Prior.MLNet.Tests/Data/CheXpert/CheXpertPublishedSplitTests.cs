using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;

namespace Prior.MLNet.Tests.Data.CheXpert;

/// <summary>
/// <c>mlContext.Data.LoadCheXpertPublishedSplit</c>: GLoRIA's linear-probe split of train.csv as a library call, kept in a
/// file so that a run repeats on the same images.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class CheXpertPublishedSplitTests
{
    [TestMethod]
    public void TheSplitLeavesOutTheZeroShotImagesIsWrittenReadBackAndRefusedForAnotherTrainCsv()
    {
        var ml = new MLContext(seed: 1);
        var options = new CheXpertLoaderOptions
        {
            Root = SyntheticFixture.CheXpert,
            BlankLabel = 0,
            UncertainLabels = UncertaintyPolicy.Zeros,
        };
        var file = Path.Combine(SyntheticFixture.NewTempFolder(), "split.csv");
        var (train, validation) = ml.Data.LoadCheXpertPublishedSplit(options, file, seed: 3);
        Assert.IsTrue(File.Exists(file), "a new split is written");
        List<string> Paths(IDataView view) => ml.Data.CreateEnumerable<CheXpertImage>(view, false).Select(r => r.Path).ToList();
        var (trainPaths, validationPaths) = (Paths(train), Paths(validation));
        var all = Paths(ml.Data.LoadCheXpert(options));
        var zeroShot = CheXpertAuthorsSubset.Load().Select(e => e.ImagePath).ToHashSet();
        var candidates = all.Where(p => !zeroShot.Contains(p[p.IndexOf("train/", StringComparison.Ordinal)..])).ToList();
        Assert.AreEqual(candidates.Count, trainPaths.Count + validationPaths.Count, "every image but the zero-shot ones, once");
        Assert.IsEmpty(trainPaths.Intersect(validationPaths).ToList());
        Assert.AreEqual(candidates.Count / 10, validationPaths.Count, "a tenth validates when train.csv holds under 50,000 images");
        Assert.IsTrue(train.Schema["Labels"].HasSlotNames(), "the rows keep the loader's label names");

        // Read back: the same images, whatever the seed.
        var (again, againValidation) = ml.Data.LoadCheXpertPublishedSplit(options, file, seed: 4);
        CollectionAssert.AreEqual(trainPaths, Paths(again));
        CollectionAssert.AreEqual(validationPaths, Paths(againValidation));

        // A split made for another train.csv is refused by name.
        var lines = File.ReadAllLines(file);
        File.WriteAllLines(file, lines.Take(lines.Length - 1));
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadCheXpertPublishedSplit(options, file));
        StringAssert.Contains(error.Message, "made for another train.csv");
    }
}
