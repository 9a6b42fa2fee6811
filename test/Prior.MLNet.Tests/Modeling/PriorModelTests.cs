using Prior.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PriorModelTests
{
    internal static PriorBatch RandomBatch(PriorModelOptions options, int batch, int vocabulary, int sentences = 5)
    {
        long length = options.MaxTokens;
        var ids = randint(5, vocabulary, [batch, length], dtype: ScalarType.Int64);
        var mask = ones(batch, length, dtype: ScalarType.Int64);
        var index = full(batch, length, -1L, dtype: ScalarType.Int64);
        long perSentence = Math.Max(1, (length - 2) / sentences);
        for (int s = 0; s < sentences; s++)
            index.narrow(1, 1 + s * perSentence, perSentence).fill_(s + 1);
        // The second report is shorter: two sentences and padding.
        if (batch > 1)
        {
            var cut = 1 + 2 * perSentence;
            index[1].narrow(0, cut, length - cut).fill_(-1);
            mask[1].narrow(0, cut + 1, length - cut - 1).fill_(0);
        }
        return new PriorBatch(randn(batch, 1, options.ImageSize, options.ImageSize), ids, mask, index);
    }

    [TestMethod]
    [DataRow(PriorStage.Alignment, new[] { "global", "localImage", "localText" })]
    [DataRow(PriorStage.Prototypes, new[] { "global", "localImage", "localText", "proto" })]
    [DataRow(PriorStage.Reconstruction, new[] { "global", "localImage", "localText", "proto", "reconstruction", "spg", "kl", "gpa" })]
    public void EachStageComputesItsLossTermsAndTheirWeightedSumBackpropagates(PriorStage stage, string[] expected)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var model = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        model.train();
        var losses = model.call(RandomBatch(model.Options, 3, 200), stage);
        CollectionAssert.AreEquivalent(expected, losses.Terms.Keys.ToArray());
        double expectedTotal = losses.Terms.Sum(t => PriorLosses.Weight(stage, t.Key) * t.Value.item<float>());
        Assert.AreEqual(expectedTotal, losses.Total.item<float>(), 1e-3 * Math.Abs(expectedTotal));
        Assert.IsTrue(float.IsFinite(losses.Total.item<float>()));
        losses.Total.backward();
        Assert.IsNotNull(model.image_encoder.encoder.conv1.weight!.grad);
        Assert.IsNotNull(model.text_encoder.encoder.embeddings.word_embeddings!.weight!.grad);
        if (stage == PriorStage.Reconstruction)
            Assert.IsNotNull(model.prototype_queries.grad);
    }

    [TestMethod]
    public void KeepingTheRawGlobalAlignmentAddsStageOnesLossOnTheBankFreeReportEmbedding()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var model = new PriorModel(PriorModelOptions.Tiny with { KeepRawGlobalAlignment = true }, vocabularySize: 200);
        model.eval(); // no dropout, no Gumbel noise: the forward pass and the inference path see the same numbers
        using var noGrad = no_grad();
        var batch = RandomBatch(model.Options, 4, 200);
        Assert.IsFalse(
            model.call(batch, PriorStage.Alignment).Terms.ContainsKey("globalRaw"),
            "stage 1's global term already is the raw one"
        );
        var losses = model.call(batch, PriorStage.Prototypes);
        Assert.AreEqual(10, PriorLosses.Weight(PriorStage.Reconstruction, "globalRaw"));

        // Float64 reference from the inference path: symmetric InfoNCE of the normalised image and bank-free report embeddings.
        var image = nn.functional.normalize(model.EncodeImage(batch.Images).Global.to(ScalarType.Float64), dim: 1);
        var report = nn.functional.normalize(
            model.EmbedReports(batch.InputIds, batch.AttentionMask, batch.SentenceIndex, usePrototypes: false).to(ScalarType.Float64),
            dim: 1
        );
        double scale = Math.Exp(model.logit_scale.item<float>());
        var logits = (image.matmul(report.t()) * scale).data<double>().ToArray();
        int n = 4;
        double CrossEntropy(Func<int, int, double> at)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double max = Enumerable.Range(0, n).Max(j => at(i, j));
                sum += max + Math.Log(Enumerable.Range(0, n).Sum(j => Math.Exp(at(i, j) - max))) - at(i, i);
            }
            return sum / n;
        }
        double expected = 0.5 * (CrossEntropy((i, j) => logits[i * n + j]) + CrossEntropy((i, j) => logits[j * n + i]));
        Assert.AreEqual(expected, losses.Terms["globalRaw"].item<float>(), 1e-4 * Math.Max(1, expected));
        Assert.AreNotEqual(
            losses.Terms["global"].item<float>(),
            losses.Terms["globalRaw"].item<float>(),
            "the original's term aligns the prototype path"
        );
    }

    [TestMethod]
    public void KeepingTheRawLocalAlignmentGivesStageTwoTheLocalTermsOfStageOne()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var raw = new PriorModel(PriorModelOptions.Tiny with { KeepRawLocalAlignment = true }, vocabularySize: 200);
        raw.eval(); // no dropout, no Gumbel noise: both stages see the same sentence vectors
        using var noGrad = no_grad();
        var batch = RandomBatch(raw.Options, 4, 200);
        var stage1 = raw.call(batch, PriorStage.Alignment);
        var stage2 = raw.call(batch, PriorStage.Prototypes);
        foreach (var term in new[] { "localImage", "localText" })
            Assert.AreEqual(
                stage1.Terms[term].item<float>(),
                stage2.Terms[term].item<float>(),
                1e-6,
                $"{term}: stage 1 aligns the raw sentence vectors"
            );
        Assert.AreNotEqual(
            stage1.Terms["global"].item<float>(),
            stage2.Terms["global"].item<float>(),
            "the global term still goes through the bank"
        );

        // Without the option (same weights) stage 2's local alignment sees the bank's prototypes instead.
        using var original = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        original.load_state_dict(raw.state_dict());
        original.eval();
        Assert.AreNotEqual(
            stage1.Terms["localText"].item<float>(),
            original.call(batch, PriorStage.Prototypes).Terms["localText"].item<float>(),
            1e-4
        );
    }

    [TestMethod]
    [DataRow(PriorStage.Prototypes)]
    [DataRow(PriorStage.Reconstruction)]
    public void ShieldingTheTextTowerKeepsEveryPrototypePathLossOffIt(PriorStage stage)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        double TextGradient(bool shield)
        {
            using var model = new PriorModel(PriorModelOptions.Tiny with { ShieldTextTowerFromBank = shield }, vocabularySize: 200);
            model.train();
            var batch = RandomBatch(model.Options, 4, 200);
            model.call(batch, stage).Total.backward();
            Assert.IsTrue(
                model.image_encoder.encoder.conv1.weight!.grad is { } image && image.abs().sum().item<float>() > 0,
                "the image tower still learns from the bank's terms"
            );
            Assert.IsTrue(
                model.sentence_bank.embed.weight!.grad is { } bank && bank.abs().sum().item<float>() > 0,
                "the bank still learns"
            );
            var text = model.text_encoder.encoder.embeddings.word_embeddings!.weight!.grad;
            return text is null ? 0 : text.abs().sum().item<float>();
        }
        Assert.AreEqual(0, TextGradient(shield: true), "without the raw terms nothing may reach the text tower");
        Assert.IsTrue(TextGradient(shield: false) > 0, "the original's prototype path trains the text tower");
    }

    [TestMethod]
    public void ThePrototypePathImageGradientScalesOnlyTheImageTowersGradientFromTheBanksGlobalTerm()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var full = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        using var scaled = new PriorModel(PriorModelOptions.Tiny with { PrototypePathImageGradient = 0.25 }, vocabularySize: 200);
        scaled.load_state_dict(full.state_dict());
        var batch = RandomBatch(full.Options, 4, 200);
        (float Loss, Tensor Image, Tensor Bank) GlobalTerm(PriorModel model)
        {
            model.eval(); // no dropout, no Gumbel noise: both models compute the same numbers
            model.zero_grad();
            var loss = model.call(batch, PriorStage.Prototypes).Terms["global"];
            loss.backward();
            return (
                loss.item<float>(),
                model.image_encoder.encoder.conv1.weight!.grad!.clone(),
                model.sentence_bank.embed.weight!.grad!.clone()
            );
        }
        var a = GlobalTerm(full);
        var b = GlobalTerm(scaled);
        Assert.AreEqual(a.Loss, b.Loss, "the loss itself is unchanged");
        Assert.IsTrue(a.Image.abs().sum().item<float>() > 0);
        Assert.IsTrue(
            (b.Image - a.Image * 0.25).abs().max().item<float>() <= 1e-5f * a.Image.abs().max().item<float>(),
            "the image tower gets a quarter of the gradient"
        );
        Assert.IsTrue((b.Bank - a.Bank).abs().max().item<float>() <= 1e-6f * a.Bank.abs().max().item<float>(), "the bank gets all of it");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            (PriorModelOptions.Tiny with { PrototypePathImageGradient = 1.5 }).Validate()
        );
    }

    [TestMethod]
    [DataRow(PriorStage.Prototypes)]
    [DataRow(PriorStage.Reconstruction)]
    public void DecoupledStagesGiveEveryStageOneModuleExactlyStageOnesGradientAndTrainOnlyTheirOwnModules(PriorStage stage)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        using var model = new PriorModel(PriorModelOptions.Tiny with { DecoupledPrototypeStages = true }, vocabularySize: 200);
        model.eval(); // no dropout, no Gumbel noise: both stages see the same features
        var batch = RandomBatch(model.Options, 4, 200);
        // Every parameter's gradient of the total loss of stage s on the batch, by name (those the loss reaches).
        Dictionary<string, Tensor> Gradients(PriorModel m, PriorStage s)
        {
            m.zero_grad();
            m.call(batch, s).Total.backward();
            return m.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        }

        // Stage 1's loss on the same batch, with stage 1's weights (stage 3 would weight the global term 10).
        var expected = Gradients(model, PriorStage.Alignment);
        var decoupled = Gradients(model, stage);

        Assert.IsTrue(
            expected.Keys.Any(k => k.StartsWith("image_encoder.", StringComparison.Ordinal))
                && expected.Keys.Any(k => k.StartsWith("text_encoder.", StringComparison.Ordinal))
        );
        foreach (var (name, grad) in expected)
        {
            double scale = Math.Max(1e-6, grad.abs().max().item<float>());
            Assert.IsLessThanOrEqualTo(1e-4, (decoupled[name] - grad).abs().max().item<float>() / scale, $"{name}: not stage 1's gradient");
        }
        var own =
            stage == PriorStage.Prototypes
                ? new[] { "sentence_bank." }
                : new[] { "sentence_bank.", "image_decoder.", "sentence_decoder.", "prototype_queries" };
        foreach (var prefix in own)
            Assert.IsTrue(
                decoupled.Any(kv =>
                    kv.Key.StartsWith(prefix, StringComparison.Ordinal)
                    && !expected.ContainsKey(kv.Key)
                    && kv.Value.abs().sum().item<float>() > 0
                ),
                $"{prefix} does not learn"
            );

        // The original's stages reshape stage 1's modules: the same check fails without the option.
        using var coupled = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        coupled.load_state_dict(model.state_dict());
        coupled.eval();
        var original = Gradients(coupled, stage);
        Assert.IsTrue(
            expected.Any(kv =>
                (original[kv.Key] - kv.Value).abs().max().item<float>() > 1e-3 * Math.Max(1e-6, kv.Value.abs().max().item<float>())
            )
        );
    }

    [TestMethod]
    [DataRow("tiny")]
    [DataRow("small")]
    [DataRow("paper")]
    public void EachPresetBuildsAndRunsAForwardPass(string preset)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        var options = PriorModelOptions.FromPreset(preset);
        int vocabulary = preset == "paper" ? 28996 : 300;
        using var model = new PriorModel(options, vocabulary);
        model.eval();
        using var noGrad = no_grad();
        var batch = RandomBatch(options, 2, vocabulary);
        var (global, local) = model.EncodeImage(batch.Images);
        long side = options.ImageSize / 32;
        CollectionAssert.AreEqual(new long[] { 2, options.EmbeddingDim }, global.shape);
        CollectionAssert.AreEqual(new long[] { 2, side * side, options.EmbeddingDim }, local.shape);
        var (sentences, mask) = model.EncodeSentences(batch.InputIds, batch.AttentionMask, batch.SentenceIndex);
        CollectionAssert.AreEqual(new long[] { 2, 5, options.EmbeddingDim }, sentences.shape);
        CollectionAssert.AreEqual(new long[] { 5, 2 }, mask.sum(1).data<long>().ToArray());
        Assert.IsTrue(float.IsFinite(model.call(batch, PriorStage.Reconstruction).Total.item<float>()));
    }

    [TestMethod]
    public void ThePaperPresetHasTheOfficialCheckpointsKeysAndSizes()
    {
        using var model = new PriorModel(PriorModelOptions.Paper, 28996);
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        CollectionAssert.AreEqual(new long[] { 50, 2048 }, shapes["image_encoder.atten_pool.positional_embedding"]);
        CollectionAssert.AreEqual(new long[] { 64, 1, 7, 7 }, shapes["image_encoder.encoder.conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 2048, 512, 1, 1 }, shapes["image_encoder.encoder.layer4.2.conv3.weight"]);
        CollectionAssert.AreEqual(new long[] { 28996, 768 }, shapes["text_encoder.encoder.embeddings.word_embeddings.weight"]);
        CollectionAssert.AreEqual(new long[] { 768, 2048 }, shapes["global_image_projection.weight"]);
        CollectionAssert.AreEqual(new long[] { 512, 768 }, shapes["sentence_bank.embed.weight"]);
        CollectionAssert.AreEqual(new long[] { 768, 1536, 3, 3 }, shapes["image_decoder.blocks.0.conv1.0.weight"]);
        CollectionAssert.AreEqual(new long[] { 1, 48, 3, 3 }, shapes["image_decoder.output_head.0.weight"]);
        Assert.IsTrue(shapes.ContainsKey("sentence_decoder.encoder.layer.7.crossattention.self.query.weight"));
        Assert.IsFalse(shapes.Keys.Any(k => k.StartsWith("sentence_decoder.embeddings.word_embeddings", StringComparison.Ordinal)));
        foreach (
            var key in new[]
            {
                "logit_scale",
                "local_logit_scale",
                "prototype_queries",
                "predictor.0.weight",
                "predictor.2.weight",
                "local_cross_attention.value2.bias",
                "global_text_attention.c_proj.weight",
                "global_text_projection.weight",
                "local_text_projection.weight",
            }
        )
            Assert.IsTrue(shapes.ContainsKey(key), key);
        Assert.AreEqual(Math.Log(100), model.logit_scale.item<float>(), 1e-5);
    }
}
