using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary><see cref="PriorNetwork.AttentionMaps"/>: what <c>prior attention</c> and the demo draw.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class AttentionMapTests
{
    [TestMethod]
    public void BatchedMapsAreEachImageWithEachSentenceAlone()
    {
        var network = TestNetwork.Instance;
        int size = network.Model.Options.ImageSize,
            side = size / 32;
        var preprocessor = new ImagePreprocessor(size, network.Inference.ImageMean, network.Inference.ImageStd);
        var pixels = TrainingFixture.Instance.Studies.Take(3).Select(s => preprocessor.Load(s.ImagePaths[0], null)).ToList();
        string[] sentences = ["There is a small left pleural effusion.", "The heart is enlarged.", "No pneumothorax."];

        var maps = network.AttentionMaps(pixels, sentences);
        Assert.HasCount(3, maps);
        for (int n = 0; n < pixels.Count; n++)
        {
            Assert.HasCount(sentences.Length, maps[n]);
            for (int k = 0; k < sentences.Length; k++)
            {
                Assert.HasCount(side * side, maps[n][k]);
                Assert.IsTrue(maps[n][k].All(v => v is >= 0 and <= 1), "sigmoid attention");
                var alone = network.AttentionMaps([pixels[n]], [sentences[k]])[0][0];
                for (int i = 0; i < alone.Length; i++)
                    Assert.AreEqual(alone[i], maps[n][k][i], 1e-5, $"image {n}, sentence {k}, patch {i}");
            }
        }
        // The maps depend on the sentence and on the image.
        Assert.IsTrue(maps[0][0].Zip(maps[0][1]).Any(p => Math.Abs(p.First - p.Second) > 1e-4));
        Assert.IsTrue(maps[0][0].Zip(maps[1][0]).Any(p => Math.Abs(p.First - p.Second) > 1e-4));
    }

    [TestMethod]
    public void TheOriginalsFlatViewHasNoPlaceInTheImageAndSaysSo()
    {
        var data = TrainingFixture.Instance;
        using var model = new PriorModel(
            PriorModelOptions.Tiny with
            {
                LocalFeatureLayout = LocalFeatureLayout.OriginalFlatView,
            },
            data.Tokenizer.VocabularySize
        );
        model.eval();
        using var network = new PriorNetwork(model, data.Tokenizer, usePrototypes: false);
        var pixels = new float[64 * 64];
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => network.AttentionMaps([pixels], ["No pneumothorax."]));
        StringAssert.Contains(error.Message, "flat view");
        Assert.ThrowsExactly<ArgumentException>(() => TestNetwork.Instance.AttentionMaps([pixels], [" "]));
    }
}
