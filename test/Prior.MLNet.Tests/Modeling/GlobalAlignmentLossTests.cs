using Prior.MLNet.Modeling.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class GlobalAlignmentLossTests
{
    [TestMethod]
    public void LossAndGradientsMatchTheOriginal()
    {
        using var scope = NewDisposeScope();
        var fixture = ParityFixture.Load("global_alignment_loss");
        var image = fixture["image_embed"].clone().requires_grad_(true);
        var text = fixture["text_embed"].clone().requires_grad_(true);
        var scale = fixture["logit_scale"].clone().requires_grad_(true);
        var loss = GlobalAlignmentLoss.Compute(image, text, scale);
        loss.backward();
        ParityFixture.AssertClose(fixture["loss"].reshape(), loss, "loss");
        ParityFixture.AssertClose(fixture["grad_image_embed"], image.grad!, "d loss / d image");
        ParityFixture.AssertClose(fixture["grad_text_embed"], text.grad!, "d loss / d text");
        ParityFixture.AssertClose(fixture["grad_logit_scale"], scale.grad!, "d loss / d logit_scale");
    }

    [TestMethod]
    public void HandComputedTwoByTwoCase()
    {
        // Orthonormal pairs, s = 1: logits = I, each CE = log(1 + e^-1) ... = -log(e / (e + 1)).
        using var scope = NewDisposeScope();
        var embeddings = tensor(new float[] { 1, 0, 0, 1 }, 2, 2);
        var loss = GlobalAlignmentLoss.Compute(embeddings, embeddings, zeros(1)).item<float>();
        Assert.AreEqual(-Math.Log(Math.E / (Math.E + 1)), loss, 1e-6);
    }
}
