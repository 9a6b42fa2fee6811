using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// Sentence vectors (the text tower's per-sentence embeddings, before the bank) of whole reports, in eval mode and
/// without gradients: what the bank is initialised from, what restarts draw on, what a draft's sentence memory holds.
/// </summary>
internal static class SentenceVectors
{
    /// <summary>Vectors of the sentences that survived tokenisation, with where each came from.</summary>
    /// <param name="Vectors">[N, E] on the model's device.</param>
    /// <param name="Report">For each row, the index of its report in the input.</param>
    /// <param name="Sentence">For each row, the index of the sentence within its report.</param>
    public sealed record Encoded(Tensor Vectors, int[] Report, int[] Sentence);

    /// <summary>
    /// Encodes every report's sentences (sentences with no token are left out, as are those cut by the tokenizer's
    /// length), <paramref name="batchSize"/> reports at a time. The model's training mode is restored afterwards.
    /// </summary>
    public static Encoded Encode(
        PriorModel model,
        ReportTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> reports,
        int batchSize = Defaults.InferenceBatchSize
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        bool wasTraining = model.training;
        var device = model.logit_scale.device;
        var parts = new List<Tensor>();
        var reportOf = new List<int>();
        var sentenceOf = new List<int>();
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < reports.Count; start += batchSize)
            {
                int count = Math.Min(batchSize, reports.Count - start);
                var ids = new long[count * tokenizer.MaxLength];
                var attention = new long[ids.Length];
                var index = new long[ids.Length];
                var kept = new List<int>[count];
                for (int i = 0; i < count; i++)
                {
                    var sentences = reports[start + i];
                    kept[i] = Enumerable.Range(0, sentences.Count).Where(s => tokenizer.TokenIds(sentences[s]).Count > 0).ToList();
                    var encoded = tokenizer.Encode(kept[i].Select(s => sentences[s]).ToList());
                    kept[i] = kept[i].Take(encoded.SentenceCount).ToList();
                    encoded.InputIds.CopyTo(ids, i * tokenizer.MaxLength);
                    encoded.AttentionMask.CopyTo(attention, i * tokenizer.MaxLength);
                    encoded.SentenceIndex.CopyTo(index, i * tokenizer.MaxLength);
                }
                using var scope = NewDisposeScope();
                long[] shape = [count, tokenizer.MaxLength];
                var (vectors, mask) = model.EncodeSentences(
                    tensor(ids, shape).to(device),
                    tensor(attention, shape).to(device),
                    tensor(index, shape).to(device)
                );
                if (vectors.shape[1] == 0)
                    continue;
                // row-major: report by report, sentences in order
                parts.Add(vectors[mask.to_type(ScalarType.Bool)].MoveToOuterDisposeScope());
                for (int i = 0; i < count; i++)
                {
                    foreach (var s in kept[i])
                    {
                        reportOf.Add(start + i);
                        sentenceOf.Add(s);
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        var all = parts.Count == 0 ? zeros(0, model.Options.EmbeddingDim, device: device) : cat(parts.ToArray(), 0);
        foreach (var p in parts)
            p.Dispose();
        return new Encoded(all, reportOf.ToArray(), sentenceOf.ToArray());
    }
}
