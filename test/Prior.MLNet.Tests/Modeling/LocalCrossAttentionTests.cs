using Prior.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class LocalCrossAttentionTests
{
    [TestMethod]
    public void MatchesTheOriginalWithItsOwnParameters()
    {
        using var scope = NewDisposeScope();
        var fixture = ParityFixture.Load("local_cross_attention");
        using var module = new LocalCrossAttention(32);
        module.load_state_dict(ParityFixture.Parameters(fixture, "local_cross_attention."), strict: true);
        using var noGrad = no_grad();
        var output = module.call(fixture["image_patches"], fixture["sentences"]);
        ParityFixture.AssertClose(fixture["context_image"], output.ContextImage, "context_image");
        ParityFixture.AssertClose(fixture["attention_image_to_sentence"], output.ImageToSentence, "attention_image_to_sentence");
        ParityFixture.AssertClose(fixture["context_sentence"], output.ContextSentence, "context_sentence");
        ParityFixture.AssertClose(fixture["attention_sentence_to_image"], output.SentenceToImage, "attention_sentence_to_image");
    }

    [TestMethod]
    public void ABatchEqualsEachReportAlone()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var module = new LocalCrossAttention(8);
        var patches = randn(3, 6, 8);
        var sentences = randn(3, 4, 8);
        var batched = module.call(patches, sentences);
        for (int b = 0; b < 3; b++)
        {
            var single = module.call(patches[b], sentences[b]);
            ParityFixture.AssertClose(single.ContextImage, batched.ContextImage[b], $"report {b}");
            ParityFixture.AssertClose(single.SentenceToImage, batched.SentenceToImage[b], $"report {b}");
        }
        // Sigmoid attention: every weight in (0, 1), rows not normalised.
        Assert.IsTrue(batched.ImageToSentence.gt(0).all().item<bool>() && batched.ImageToSentence.lt(1).all().item<bool>());
    }
}
