using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>One model file for everything: an ML.NET model zip that ML.NET, <c>prior apply</c> and PriorNetwork.Load read.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ModelFileTests
{
    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private static IReadOnlyList<float[]> Pixels(int count) =>
        TrainingFixture
            .Instance.Studies.Take(count)
            .Select(s => new Prior.MLNet.Data.Images.ImagePreprocessor(64).Load(s.ImagePaths[0]))
            .ToList();

    [TestMethod]
    public void ASavedNetworkIsAnMLNetModelThatEveryReaderLoads()
    {
        var network = TestNetwork.Instance;
        var dir = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(dir, "model.zip");
        network.Save(path);

        var ml = new MLContext(seed: 1);
        var transformer = ml.Model.Load(path, out _);
        Assert.IsInstanceOfType<PriorPretrainTransformer>(transformer);
        // Only an image column: the pretrain transformer adds the image embedding and leaves the report side out.
        var paths = TrainingFixture.Instance.Studies.Take(3).Select(s => s.ImagePaths[0]).ToList();
        var data = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
        var embedded = transformer.Transform(data);
        Assert.IsNull(embedded.Schema.GetColumnOrNull("ReportEmbedding"));
        var vectors = embedded.GetColumn<float[]>("ImageEmbedding").ToArray();
        var (expected, _) = network.EmbedImages(Pixels(3), local: false);
        for (int i = 0; i < 3; i++)
        for (int d = 0; d < expected[i].Length; d++)
            Assert.AreEqual(expected[i][d], vectors[i][d], 1e-5f);

        using var reloaded = PriorNetwork.Load(path);
        var (again, _) = reloaded.EmbedImages(Pixels(3), local: false);
        for (int i = 0; i < 3; i++)
            CollectionAssert.AreEqual(expected[i], again[i]);

        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, paths);
        var applied = RunPrior("apply", "--model", path, "--images", list, "--out", Path.Combine(dir, "out.tsv"));
        Assert.AreEqual(0, applied.Code, applied.Err);
        StringAssert.Contains(applied.Out, "columns ImageEmbedding");
    }

    [TestMethod]
    public void AFileOfTheEarlierModelFormatStillLoads()
    {
        var network = TestNetwork.Instance;
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "earlier.zip");
        lock (network.Gate)
            PriorModelFile.Save(path, network.Model, network.Tokenizer, network.UsePrototypes, network.Inference);
        using var loaded = PriorNetwork.Load(path);
        var (expected, _) = network.EmbedImages(Pixels(2), local: false);
        var (actual, _) = loaded.EmbedImages(Pixels(2), local: false);
        CollectionAssert.AreEqual(expected[1], actual[1]);
        Assert.AreEqual(network.UsePrototypes, loaded.UsePrototypes);
    }

    [TestMethod]
    public void TruncatedAndForeignFilesAreNamedErrors()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(path);
        var bytes = File.ReadAllBytes(path);
        var truncated = Path.Combine(dir, "truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => PriorNetwork.Load(truncated));
        StringAssert.StartsWith(error.Message, $"{truncated}: not a model (not a zip file");

        var foreign = Path.Combine(dir, "foreign.zip");
        File.WriteAllText(foreign, "not a zip at all");
        StringAssert.StartsWith(
            Assert.ThrowsExactly<InvalidDataException>(() => PriorNetwork.Load(foreign)).Message,
            $"{foreign}: not a model (not a zip file"
        );

        var otherZip = Path.Combine(dir, "other.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(otherZip, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("readme.txt");
        StringAssert.StartsWith(
            Assert.ThrowsExactly<InvalidDataException>(() => PriorNetwork.Load(otherZip)).Message,
            $"{otherZip}: neither a Prior.MLNet model nor an ML.NET model that loads"
        );
        Assert.AreEqual(
            $"{Path.Combine(dir, "absent.zip")}: the model file does not exist.",
            Assert.ThrowsExactly<FileNotFoundException>(() => PriorNetwork.Load(Path.Combine(dir, "absent.zip"))).Message
        );
    }
}
