using Prior.MLNet.Modeling;
using static TorchSharp.torch;

namespace Prior.MLNet.Generation;

/// <summary>
/// Drafts reports from images by the three <see cref="ReportDraftMethod"/>s. <see cref="Draft"/> is PRIOR's sentence
/// prototype generation: the stage-3 prototype decoder turns the
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
            drafts.Add(Compose(picked));
        }
        return drafts;
    }

    /// <summary>
    /// Retrieval drafts (<see cref="ReportDraftMethod.Retrieval"/>) from normalised image embeddings: the remembered
    /// sentences most similar to each image, up to the training reports' median length; a sentence is skipped when it
    /// mentions a CheXpert observation an earlier pick already mentions (so "no pneumothorax" and "small pneumothorax"
    /// never stand together) or when its embedding is nearly an earlier pick's (cosine ≥ 0.95, a paraphrase).
    /// </summary>
    public static IReadOnlyList<ReportDraft> Retrieve(SentenceMemory memory, IReadOnlyList<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(images);
        int n = memory.Sentences.Count,
            d = memory.Dimension;
        var drafts = new List<ReportDraft>(images.Count);
        foreach (var image in images)
        {
            var embeddings = memory.SentenceEmbeddings;
            var scores = new float[n];
            for (int j = 0; j < n; j++)
                scores[j] = Dot(image, embeddings.Slice(j * d, d));
            var order = Enumerable.Range(0, n).OrderByDescending(j => scores[j]).ThenBy(j => j);
            var picked = new List<int>();
            var described = new HashSet<int>();
            foreach (int j in order)
            {
                if (picked.Count >= memory.TypicalSentenceCount)
                    break;
                var mentions = memory.Mentions(j);
                if (mentions.Overlaps(described))
                    continue;
                var candidate = embeddings.Slice(j * d, d).ToArray();
                if (picked.Any(p => Dot(candidate, memory.SentenceEmbeddings.Slice(p * d, d)) >= 0.95f))
                    continue;
                picked.Add(j);
                described.UnionWith(mentions);
            }
            drafts.Add(Compose(picked.Select(j => memory.Sentences[j])));
        }
        return drafts;
    }

    /// <summary>
    /// Nearest-report drafts (<see cref="ReportDraftMethod.NearestReport"/>): per normalised image embedding, the
    /// remembered training report with the most similar embedding, whole.
    /// </summary>
    public static IReadOnlyList<ReportDraft> Nearest(SentenceMemory memory, IReadOnlyList<float[]> images)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(images);
        int d = memory.Dimension;
        return images
            .Select(image =>
            {
                var embeddings = memory.ReportEmbeddings;
                int best = 0;
                float bestScore = float.NegativeInfinity;
                for (int j = 0; j < memory.Reports.Count; j++)
                {
                    float score = Dot(image, embeddings.Slice(j * d, d));
                    if (score > bestScore)
                        (best, bestScore) = (j, score);
                }
                return memory.Reports[best];
            })
            .ToList();
    }

    // A draft of remembered sentences: FINDINGS then IMPRESSION, each in the order training reports put them.
    private static ReportDraft Compose(IEnumerable<RememberedSentence> sentences)
    {
        var list = sentences.ToList();
        List<string> Section(ReportSection section) =>
            list.Where(p => p.Section == section).OrderBy(p => p.Position).ThenByDescending(p => p.Count).Select(p => p.Text).ToList();
        return new ReportDraft(Section(ReportSection.Findings), Section(ReportSection.Impression));
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
