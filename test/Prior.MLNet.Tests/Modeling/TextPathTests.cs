using Prior.MLNet.Modeling;
using Prior.MLNet.Modeling.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>Sentence gathering and pooling, the prototype bank, and the in-report sentence loss.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class TextPathTests
{
    [TestMethod]
    public void SentenceGatherAndPoolMatchTheOriginal()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("sentence_gather_pool");
        var (sentences, mask) = SentenceGather.Gather(f["tokens"], f["sentence_index"]);
        ParityFixture.AssertClose(f["sentences"], SentenceGather.Concatenate(sentences, mask), "sentences");
        CollectionAssert.AreEqual(f["sentence_counts"].data<long>().ToArray(), mask.sum(1).data<long>().ToArray());
        using var pool = new SentenceAttentionPool(32, 8);
        pool.load_state_dict(ParityFixture.Parameters(f, "global_text_attention."), strict: true);
        using var noGrad = no_grad();
        ParityFixture.AssertClose(f["report_embed"], pool.call(sentences, mask), "report_embed");
    }

    [TestMethod]
    public void BatchedPoolingEqualsPoolingEachReportAlone()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        using var pool = new SentenceAttentionPool(16, 4);
        var sentences = randn(3, 5, 16);
        var counts = new[] { 5, 2, 3 };
        var mask = zeros(3, 5, dtype: ScalarType.Bool);
        for (int b = 0; b < 3; b++)
            mask[b].narrow(0, 0, counts[b]).fill_(true);
        var batched = pool.call(sentences, mask);
        for (int b = 0; b < 3; b++)
        {
            var alone = pool.call(sentences[b].narrow(0, 0, counts[b]).unsqueeze(0), ones(1, counts[b], dtype: ScalarType.Bool));
            ParityFixture.AssertClose(alone[0], batched[b], $"report {b}");
        }
    }

    [TestMethod]
    public void PrototypeBankMatchesTheOriginalWithItsNoiseAndWithout()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("sentence_prototype_bank");
        using var bank = new SentencePrototypeBank(32, 24);
        bank.load_state_dict(ParityFixture.Parameters(f, "sentence_bank."), strict: true);
        using var noGrad = no_grad();
        var noisy = bank.Assign(f["sentences"], f["gumbel_noise"]);
        ParityFixture.AssertClose(f["logits"], noisy.Logits, "logits");
        ParityFixture.AssertClose(f["prototypes"], noisy.Prototypes, "prototypes");
        CollectionAssert.AreEqual(f["prototype_index"].data<long>().ToArray(), noisy.Index.data<long>().ToArray());
        ParityFixture.AssertClose(
            f["proto_l1_loss"].reshape(),
            SentencePrototypeBank.PrototypeLoss(noisy.Prototypes, f["sentences"]),
            "L_proto"
        );
        bank.eval();
        ParityFixture.AssertClose(f["prototypes_noise_free"], bank.call(f["sentences"]).Prototypes, "noise-free inference");
    }

    [TestMethod]
    public void PrototypeBankIsDeterministicInEvalAndNoisyInTraining()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var bank = new SentencePrototypeBank(8, 6);
        var x = randn(5, 8);
        bank.eval();
        ParityFixture.AssertClose(bank.call(x).Prototypes, bank.call(x).Prototypes, "eval is deterministic", 1e-12);
        bank.train();
        var a = bank.call(x).Prototypes;
        var b = bank.call(x).Prototypes;
        Assert.IsGreaterThan(1e-4, (a - b).abs().max().item<float>(), "training draws Gumbel noise");
    }

    [TestMethod]
    public void SentenceLossAndGradientsMatchTheOriginal()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("sentence_local_loss");
        var sentences = f["sentences"].clone().requires_grad_(true);
        var contexts = f["context_sentence"].clone().requires_grad_(true);
        var loss = SentenceContrastiveLoss.Compute(sentences, contexts, f["local_logit_scale"]);
        loss.backward();
        ParityFixture.AssertClose(f["loss"].reshape(), loss, "loss");
        ParityFixture.AssertClose(f["grad_sentences"], sentences.grad!, "d/d sentences");
        ParityFixture.AssertClose(f["grad_context_sentence"], contexts.grad!, "d/d context");
    }

    [TestMethod]
    public void SentenceLossOfOneReportIsTheGlobalInfoNceAndBatchingAveragesReports()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        var scale = tensor(new[] { 1.3f });
        var e = randn(4, 8);
        var c = randn(4, 8);
        // Identity: the in-report loss is the symmetric InfoNCE with contexts as rows.
        ParityFixture.AssertClose(GlobalAlignmentLoss.Compute(c, e, scale), SentenceContrastiveLoss.Compute(e, c, scale), "identity");

        var sentences = randn(3, 5, 8);
        var contexts = randn(3, 5, 8);
        var counts = new[] { 5, 2, 3 };
        var mask = zeros(3, 5, dtype: ScalarType.Bool);
        for (int b = 0; b < 3; b++)
            mask[b].narrow(0, 0, counts[b]).fill_(true);
        var batched = SentenceContrastiveLoss.Compute(sentences, contexts, mask, scale);
        var perReport = Enumerable
            .Range(0, 3)
            .Select(b =>
                SentenceContrastiveLoss
                    .Compute(sentences[b].narrow(0, 0, counts[b]), contexts[b].narrow(0, 0, counts[b]), scale)
                    .item<float>()
            )
            .Average();
        Assert.AreEqual(perReport, batched.item<float>(), 1e-5);
    }
}
