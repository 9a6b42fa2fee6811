using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Training;

/// <summary>
/// The loader pads each batch only to its longest report. These tests check that this is an optimisation and nothing
/// else: the same step on the same batch padded to the tokenizer's full length gives the same losses and gradients.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class BatchLengthTests
{
    [TestMethod]
    public void ABatchIsPaddedToItsLongestReportOnly()
    {
        var data = TrainingFixture.Instance;
        var loader = new BatchLoader(data.Studies, data.Tokenizer, new ImagePreprocessor(PriorModelOptions.Tiny.ImageSize), 8, 3, 1, 1);
        var batch = loader.Build([0, 1, 2, 3, 4, 5, 6, 7], 0);
        Assert.IsLessThan(data.Tokenizer.MaxLength, batch.Length, "the synthetic reports are shorter than the tokenizer's maximum");
        var realPerRow = Enumerable
            .Range(0, batch.Count)
            .Select(r => (int)batch.AttentionMask.Skip(r * batch.Length).Take(batch.Length).Sum())
            .ToArray();
        // Attention masks are 1 on a prefix (CLS … SEP), so the longest row fills its whole width, and every row ends in SEP.
        Assert.AreEqual(batch.Length, realPerRow.Max());
        Assert.AreEqual(batch.Count * batch.Length, batch.InputIds.Length);
        long separator = data.Tokenizer.Vocabulary.ToList().IndexOf("[SEP]");
        for (int r = 0; r < batch.Count; r++)
        {
            Assert.AreEqual(separator, batch.InputIds[r * batch.Length + realPerRow[r] - 1], $"row {r} ends in SEP");
            Assert.IsTrue(
                batch.AttentionMask.Skip(r * batch.Length).Take(realPerRow[r]).All(m => m == 1),
                $"row {r}: its real tokens come first"
            );
        }
    }

    [TestMethod]
    public void CollatingToAFixedLengthKeepsTheTokenizersPaddingAndRefusesToCutAReport()
    {
        var tokenizer = TrainingFixture.Instance.Tokenizer;
        var reports = new[] { tokenizer.Encode(["No pleural effusion.", "Heart size is normal."]), tokenizer.Encode(["Clear lungs."]) };
        var full = Prior.MLNet.Text.ReportBatch.Collate(reports, tokenizer.MaxLength);
        Assert.AreEqual(tokenizer.MaxLength, full.Length);
        CollectionAssert.AreEqual(reports[0].InputIds.Concat(reports[1].InputIds).ToArray(), full.InputIds);
        CollectionAssert.AreEqual(reports[0].SentenceIndex.Concat(reports[1].SentenceIndex).ToArray(), full.SentenceIndex);
        var trimmed = Prior.MLNet.Text.ReportBatch.Collate(reports);
        Assert.AreEqual(reports[0].Length, trimmed.Length);
        CollectionAssert.AreEqual(
            reports[1].AttentionMask.Take(trimmed.Length).ToArray(),
            trimmed.AttentionMask.Skip(trimmed.Length).ToArray()
        );
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Prior.MLNet.Text.ReportBatch.Collate(reports, reports[0].Length - 1));
    }

    [TestMethod]
    [DoNotParallelize] // the bank's Gumbel noise comes from the global generator, which a parallel test would also draw from
    [DataRow(PriorStage.Alignment)]
    [DataRow(PriorStage.Reconstruction)]
    public void ATrimmedBatchGivesTheSameLossesAndGradientsAsOnePaddedToTheFullLength(PriorStage stage)
    {
        var data = TrainingFixture.Instance;
        var loader = new BatchLoader(data.Studies, data.Tokenizer, new ImagePreprocessor(PriorModelOptions.Tiny.ImageSize), 6, 5, 1, 1);
        var host = loader.Build([10, 11, 12, 13, 14, 15], 0);
        int fullLength = data.Tokenizer.MaxLength,
            size = PriorModelOptions.Tiny.ImageSize;
        // Dropout draws depend on the tensor's shape; without it the two runs see the same random numbers (the bank's
        // Gumbel noise is per sentence and prototype, not per token).
        var options = PriorModelOptions.Tiny with
        {
            Text = PriorModelOptions.Tiny.Text with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 },
            ReconstructionDropout = 0,
        };
        random.manual_seed(11);
        using var model = new PriorModel(options, data.Tokenizer.VocabularySize);
        model.train();

        (Dictionary<string, double> Losses, Dictionary<string, float[]> Gradients) Step(int length)
        {
            using var scope = NewDisposeScope();
            var ids = full(host.Count, length, (long)data.Tokenizer.PaddingId, dtype: ScalarType.Int64);
            var mask = zeros(host.Count, length, dtype: ScalarType.Int64);
            var index = full(host.Count, length, -1L, dtype: ScalarType.Int64);
            ids.narrow(1, 0, host.Length).copy_(tensor(host.InputIds, [host.Count, host.Length]));
            mask.narrow(1, 0, host.Length).copy_(tensor(host.AttentionMask, [host.Count, host.Length]));
            index.narrow(1, 0, host.Length).copy_(tensor(host.SentenceIndex, [host.Count, host.Length]));
            var batch = new PriorBatch(tensor(host.Images, [host.Count, 1, size, size]), ids, mask, index);
            model.zero_grad();
            random.manual_seed(12);
            var losses = model.call(batch, stage);
            losses.Total.backward();
            var values = losses.Terms.ToDictionary(t => t.Key, t => (double)t.Value.item<float>());
            var gradients = model
                .named_parameters()
                .Where(p => p.parameter.grad is not null)
                .ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
            return (values, gradients);
        }

        var padded = Step(fullLength);
        var trimmed = Step(host.Length);
        Assert.IsLessThan(fullLength, host.Length);
        CollectionAssert.AreEquivalent(padded.Losses.Keys.ToArray(), trimmed.Losses.Keys.ToArray());
        foreach (var (name, value) in padded.Losses)
            Assert.AreEqual(
                value,
                trimmed.Losses[name],
                1e-5 * Math.Max(1, Math.Abs(value)),
                $"{name}: padded {value}, trimmed {trimmed.Losses[name]}"
            );
        CollectionAssert.AreEquivalent(padded.Gradients.Keys.ToArray(), trimmed.Gradients.Keys.ToArray());
        // Position embeddings past the longest report get a zero gradient either way; the rest must agree. (The
        // absolute floor is for gradients that are zero in exact arithmetic, such as the attention pool's key bias,
        // whose float noise differs with the summation order.)
        foreach (var (name, a) in padded.Gradients)
        {
            var b = trimmed.Gradients[name];
            double difference = 0,
                norm = 0;
            for (int i = 0; i < a.Length; i++)
            {
                difference += (double)(a[i] - b[i]) * (a[i] - b[i]);
                norm += (double)a[i] * a[i];
            }
            Assert.IsLessThanOrEqualTo(
                1e-4 * Math.Sqrt(norm) + 1e-5,
                Math.Sqrt(difference),
                $"{name}: |a - b| {Math.Sqrt(difference)} against |a| {Math.Sqrt(norm)}"
            );
        }
    }
}
