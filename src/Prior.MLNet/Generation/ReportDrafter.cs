using Prior.MLNet.Modeling;
using static TorchSharp.torch;

namespace Prior.MLNet.Generation;

/// <summary>
/// Drafts reports from images with PRIOR's sentence prototype generation: the stage-3 prototype decoder turns the
/// image's local features into S slot vectors (trained, by L_spg, towards the prototypes of the report's sentences,
/// zero for unused slots); each slot becomes the remembered training sentence whose prototype key is nearest in L1,
/// or nothing when the zero vector is nearer; when fewer than a minimum of slots are real, the slots nearest to being
/// real fill the draft up to it (a decoder early in training puts every slot near zero). Sentences are deduplicated
/// (one per prototype) and ordered as training reports order them, FINDINGS then IMPRESSION.
/// </summary>
internal static class ReportDrafter
{
    /// <summary>
    /// Drafts a report per image of <paramref name="images"/> [B, 1, S, S] (normalised as for training). Call in eval
    /// mode, inside a no-grad scope; the keys are moved to the model's device per call.
    /// </summary>
    public static IReadOnlyList<ReportDraft> Draft(PriorModel model, SentenceMemory memory, Tensor images, int minimumSentences = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSentences);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(images);
        if (memory.Dimension != model.Options.EmbeddingDim)
            throw new ArgumentException(
                $"The sentence memory's keys have width {memory.Dimension}; the network embeds in {model.Options.EmbeddingDim}.",
                nameof(memory)
            );
        using var scope = NewDisposeScope();
        var (_, local) = model.EncodeImage(images);
        long b = local.shape[0];
        var slots = model.sentence_decoder.Decode(model.prototype_queries.expand(b, -1, -1), local, model.Options.DecoderCausalMask);
        var flat = slots.reshape(-1, slots.shape[^1]);
        var keys = memory.Keys(flat.device);
        var distances = cdist(flat, keys, p: 1);
        var (nearest, index) = distances.min(1);
        var empty = flat.abs().sum(1);
        var chosen = index.cpu().data<long>().ToArray();
        // How much nearer the slot is to a sentence than to "no sentence": positive for a real slot.
        var margin = (empty - nearest).cpu().data<float>().ToArray();
        int perImage = (int)slots.shape[1];
        var drafts = new List<ReportDraft>((int)b);
        for (int i = 0; i < b; i++)
        {
            var picked = new List<RememberedSentence>();
            var prototypes = new HashSet<int>();
            foreach (int row in Enumerable.Range(i * perImage, perImage).OrderByDescending(r => margin[r]))
            {
                if (margin[row] <= 0 && picked.Count >= minimumSentences)
                    break;
                var sentence = memory.Sentences[(int)chosen[row]];
                if (prototypes.Add(sentence.Prototype))
                    picked.Add(sentence);
            }
            List<string> Section(ReportSection section) =>
                picked
                    .Where(p => p.Section == section)
                    .OrderBy(p => p.Position)
                    .ThenByDescending(p => p.Count)
                    .Select(p => p.Text)
                    .ToList();
            drafts.Add(new ReportDraft(Section(ReportSection.Findings), Section(ReportSection.Impression)));
        }
        return drafts;
    }
}
