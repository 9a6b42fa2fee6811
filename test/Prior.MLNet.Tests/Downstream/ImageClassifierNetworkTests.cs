using Prior.MLNet.Downstream;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Downstream;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImageClassifierNetworkTests
{
    [TestMethod]
    public void ThePretrainedImageTowerCopiesOverAndEmbedsAsPriorDoes()
    {
        var model = TestNetwork.Instance.Model;
        using var classifier = new ImageClassifierNetwork(model.Options, labels: 5);
        int expected = model
            .state_dict()
            .Keys.Count(k =>
                k.StartsWith("image_encoder.", StringComparison.Ordinal)
                || k.StartsWith("global_image_projection.", StringComparison.Ordinal)
            );
        Assert.AreEqual(expected, classifier.LoadImageTower(model));
        classifier.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(3);
        var images = randn(3, 1, model.Options.ImageSize, model.Options.ImageSize);
        var tower = classifier.image_encoder;
        var embedding = classifier.global_image_projection.call(tower.atten_pool.call(tower.call(images)));
        var (global, _) = model.EncodeImage(images);
        Assert.IsLessThan(1e-5, (embedding - global).abs().max().item<float>(), "the copied tower embeds as PRIOR's own");
        CollectionAssert.AreEqual(new long[] { 3, 5 }, classifier.call(images).shape);
    }

    [TestMethod]
    public void ATowerOfAnotherSizeIsNamed()
    {
        using var small = new PriorModel(PriorModelOptions.Small, TestNetwork.Instance.Tokenizer.VocabularySize);
        using var classifier = new ImageClassifierNetwork(PriorModelOptions.Tiny, labels: 2);
        var error = Assert.ThrowsExactly<ArgumentException>(() => classifier.LoadImageTower(small));
        StringAssert.Contains(error.Message, "image_encoder.");
    }
}
