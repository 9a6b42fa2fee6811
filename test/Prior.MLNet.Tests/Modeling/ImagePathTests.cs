using Prior.MLNet.Modeling;
using Prior.MLNet.Modeling.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>Image heads, the local losses, the image decoder and zero-shot scoring.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImagePathTests
{
    [TestMethod]
    public void ImageHeadsMatchTheOriginalInBothLayouts()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("image_heads");
        using var pool = new AttentionPool2d(4, 64, 8);
        pool.load_state_dict(ParityFixture.Parameters(f, "image_encoder.atten_pool."), strict: true);
        using var global = nn.Linear(64, 32);
        global.load_state_dict(ParityFixture.Parameters(f, "global_image_projection."), strict: true);
        using var local = nn.Linear(64, 32);
        local.load_state_dict(ParityFixture.Parameters(f, "local_image_projection."), strict: true);
        using var noGrad = no_grad();
        var layer4 = f["layer4"];
        ParityFixture.AssertClose(f["global_embed"], global.call(pool.call(layer4)), "global");
        ParityFixture.AssertClose(
            f["local_embed_original_flat_view"],
            local.call(LocalFeatures.ToTokens(layer4, LocalFeatureLayout.OriginalFlatView)),
            "flat view"
        );
        ParityFixture.AssertClose(
            f["local_embed_spatial"],
            local.call(LocalFeatures.ToTokens(layer4, LocalFeatureLayout.Spatial)),
            "spatial"
        );
        foreach (var layout in new[] { LocalFeatureLayout.Spatial, LocalFeatureLayout.OriginalFlatView })
            ParityFixture.AssertClose(
                layer4,
                LocalFeatures.ToMap(LocalFeatures.ToTokens(layer4, layout), layout, 4, 4),
                $"{layout} round trip",
                1e-12
            );
    }

    [TestMethod]
    public void SimSiamLossAndGradientsMatchTheOriginal()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("simsiam_loss");
        using var predictor = Predictor.Create(32);
        predictor.load_state_dict(ParityFixture.Parameters(f, "predictor."), strict: true);
        var x = f["x"].clone().requires_grad_(true);
        var y = f["y"].clone().requires_grad_(true);
        var loss = SimSiamLoss.Compute(x, y, predictor);
        loss.backward();
        ParityFixture.AssertClose(f["loss"].reshape(), loss, "loss");
        ParityFixture.AssertClose(f["grad_x"], x.grad!, "d/dx");
        ParityFixture.AssertClose(f["grad_y"], y.grad!, "d/dy");
    }

    [TestMethod]
    public void BatchedLocalAlignmentWithMaskedSentencesMatchesTheOriginalPerSampleLoop()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("local_alignment_loss");
        using var attention = new LocalCrossAttention(32);
        attention.load_state_dict(ParityFixture.Parameters(f, "local_cross_attention."), strict: true);
        using var predictor = Predictor.Create(32);
        predictor.load_state_dict(ParityFixture.Parameters(f, "predictor."), strict: true);
        var (sentences, mask) = ParityHelpers.Pad(f["sentences"], f["sentence_counts"]);
        using var noGrad = no_grad();
        var output = attention.Attend(f["image_patches"], sentences, mask);
        ParityFixture.AssertClose(f["context_image"], output.ContextImage, "context_image");
        ParityFixture.AssertClose(
            f["local_image_loss"].reshape(),
            SimSiamLoss.Compute(f["image_patches"], output.ContextImage, predictor),
            "local image loss"
        );
        ParityFixture.AssertClose(
            f["local_text_loss"].reshape(),
            SentenceContrastiveLoss.Compute(sentences, output.ContextSentence, mask, f["local_logit_scale"]),
            "local text loss"
        );
    }

    [TestMethod]
    public void ImageDecoderMatchesTheOriginalInEvalMode()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("image_decoder");
        using var decoder = new ImageDecoder(64, 4);
        var (missing, unexpected) = decoder.load_state_dict(ParityFixture.Parameters(f, "image_decoder."), strict: false);
        Assert.IsEmpty(unexpected);
        Assert.IsTrue(missing.All(k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal)), string.Join(", ", missing));
        decoder.eval();
        using var noGrad = no_grad();
        var reconstruction = decoder.call(cat([f["image_embed"], f["context_image"]], 1));
        ParityFixture.AssertClose(f["reconstruction"], reconstruction, "reconstruction");
        ParityFixture.AssertClose(f["loss"].reshape(), nn.functional.l1_loss(reconstruction, f["image"]), "L1");
    }

    [TestMethod]
    public void ZeroShotScoresMatchTheOriginalWithTwoPromptsPerClass()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("zero_shot_scores");
        using var attention = new LocalCrossAttention(32);
        attention.load_state_dict(ParityFixture.Parameters(f, "local_cross_attention."), strict: true);
        using var noGrad = no_grad();
        var scores = ZeroShotScoring.Score(
            f["image_local"],
            f["image_global"],
            f["prompt_global"],
            f["prompt_local"],
            f["logit_scale"],
            attention
        );
        ParityFixture.AssertClose(f["scores"], scores, "scores");
        CollectionAssert.AreEqual(f["predicted"].data<long>().ToArray(), scores.argmax(-1).data<long>().ToArray());
    }
}
