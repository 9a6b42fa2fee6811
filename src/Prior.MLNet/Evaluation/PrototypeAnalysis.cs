using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// What the sentence prototypes mean: sentences with known types (e.g. the synthetic generator's finding, certainty,
/// severity and side) are assigned to their noise-free prototype, and the assignment is scored against the types by
/// purity and NMI, beside the same assignment shuffled (same cluster sizes, no meaning): the chance level. The most used
/// prototypes are listed with the training sentences nearest to them.
/// </summary>
internal static class PrototypeAnalysis
{
    /// <summary>A prototype, its use and what it stands for.</summary>
    /// <param name="Index">Its row in the bank.</param>
    /// <param name="Sentences">Analysed sentences assigned to it.</param>
    /// <param name="MajorityType">The most common type among them.</param>
    /// <param name="MajorityShare">That type's share of them.</param>
    /// <param name="NearestTrainingSentences">The training sentences nearest to it (cosine), nearest first.</param>
    public sealed record Prototype(
        int Index,
        int Sentences,
        string MajorityType,
        double MajorityShare,
        IReadOnlyList<string> NearestTrainingSentences
    );

    /// <summary>The scores and the most used prototypes.</summary>
    public sealed record Result(
        double Purity,
        double Nmi,
        double ShuffledPurity,
        double ShuffledNmi,
        int PrototypesUsed,
        int Sentences,
        IReadOnlyList<Prototype> MostUsed
    );

    /// <summary>
    /// Assigns <paramref name="sentences"/> (typed by <paramref name="types"/>) to prototypes and scores the assignment;
    /// lists the <paramref name="top"/> most used prototypes with their <paramref name="nearest"/> nearest of
    /// <paramref name="trainingSentences"/>. The shuffled baseline is the mean of 20 seeded shuffles.
    /// </summary>
    public static Result Analyze(
        PriorModel model,
        ReportTokenizer tokenizer,
        IReadOnlyList<string> sentences,
        IReadOnlyList<string> types,
        IReadOnlyList<string> trainingSentences,
        int top = 10,
        int nearest = 3,
        int seed = 1
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(trainingSentences);
        if (sentences.Count != types.Count)
            throw new ArgumentException($"{sentences.Count} sentences but {types.Count} types.");
        // Each sentence alone: one-sentence reports, so a row's report is the sentence's index.
        var (assigned, encoded) = Assign(model, tokenizer, sentences.Select(s => (IReadOnlyList<string>)[s]).ToList());
        return Score(model, tokenizer, assigned, encoded.Report.Select(r => types[r]).ToList(), trainingSentences, top, nearest, seed);
    }

    /// <summary>
    /// As <see cref="Analyze"/>, with each sentence encoded inside its report, as training and report embedding see it
    /// (the text tower is contextual: a sentence encoded alone gets another vector, and so possibly another prototype).
    /// Sentences for which <paramref name="typeOf"/> gives null are left out.
    /// </summary>
    public static Result AnalyzeInReports(
        PriorModel model,
        ReportTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> reports,
        Func<string, string?> typeOf,
        IReadOnlyList<string> trainingSentences,
        int top = 10,
        int nearest = 3,
        int seed = 1
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(typeOf);
        ArgumentNullException.ThrowIfNull(trainingSentences);
        var (all, encoded) = Assign(model, tokenizer, reports);
        var assigned = new List<int>();
        var kept = new List<string>();
        for (int row = 0; row < all.Length; row++)
        {
            if (typeOf(reports[encoded.Report[row]][encoded.Sentence[row]]) is not { } type)
                continue;
            assigned.Add(all[row]);
            kept.Add(type);
        }
        if (assigned.Count == 0)
            throw new ArgumentException("No sentence of the reports has a type.", nameof(typeOf));
        return Score(model, tokenizer, assigned.ToArray(), kept, trainingSentences, top, nearest, seed);
    }

    private static Result Score(
        PriorModel model,
        ReportTokenizer tokenizer,
        int[] assigned,
        List<string> kept,
        IReadOnlyList<string> trainingSentences,
        int top,
        int nearest,
        int seed
    )
    {
        double purity = ClusteringMetrics.Purity(assigned, kept),
            nmi = ClusteringMetrics.NormalizedMutualInformation(assigned, kept);
        var random = new Random(seed);
        double shuffledPurity = 0,
            shuffledNmi = 0;
        const int shuffles = 20;
        for (int s = 0; s < shuffles; s++)
        {
            var shuffled = assigned.ToArray();
            random.Shuffle(shuffled);
            shuffledPurity += ClusteringMetrics.Purity(shuffled, kept) / shuffles;
            shuffledNmi += ClusteringMetrics.NormalizedMutualInformation(shuffled, kept) / shuffles;
        }

        var used = assigned.Zip(kept).GroupBy(p => p.First).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Take(top).ToList();
        var distinctTraining = trainingSentences.Distinct(StringComparer.Ordinal).ToList();
        var nearestTexts = Nearest(model, tokenizer, distinctTraining, used.Select(g => g.Key).ToList(), nearest);
        var mostUsed = used.Select(
                (g, i) =>
                {
                    var majority = g.GroupBy(p => p.Second)
                        .OrderByDescending(t => t.Count())
                        .ThenBy(t => t.Key, StringComparer.Ordinal)
                        .First();
                    return new Prototype(g.Key, g.Count(), majority.Key, majority.Count() / (double)g.Count(), nearestTexts[i]);
                }
            )
            .ToList();
        return new Result(purity, nmi, shuffledPurity, shuffledNmi, assigned.Distinct().Count(), assigned.Length, mostUsed);
    }

    // The noise-free prototype of every sentence that survived tokenisation, with where each came from (the encoding's
    // vectors are disposed; its Report and Sentence indices stay valid).
    private static (int[] Prototypes, SentenceVectors.Encoded Encoded) Assign(
        PriorModel model,
        ReportTokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<string>> reports
    )
    {
        var encoded = SentenceVectors.Encode(model, tokenizer, reports);
        using var vectors = encoded.Vectors;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (model.sentence_bank.Assign(vectors, null).Index.cpu().data<long>().Select(i => (int)i).ToArray(), encoded);
    }

    private static List<IReadOnlyList<string>> Nearest(
        PriorModel model,
        ReportTokenizer tokenizer,
        IReadOnlyList<string> texts,
        IReadOnlyList<int> prototypes,
        int count
    )
    {
        if (prototypes.Count == 0 || texts.Count == 0)
            return prototypes.Select(_ => (IReadOnlyList<string>)[]).ToList();
        var encoded = SentenceVectors.Encode(model, tokenizer, texts.Select(s => (IReadOnlyList<string>)[s]).ToList());
        using var vectors = encoded.Vectors;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bank = model
            .sentence_bank.embed.weight!.detach()
            .index_select(0, tensor(prototypes.Select(p => (long)p).ToArray(), device: vectors.device));
        var similarity = nn.functional.normalize(bank, dim: 1).matmul(nn.functional.normalize(vectors, dim: 1).t());
        var order = similarity.argsort(1, descending: true).narrow(1, 0, Math.Min(count, vectors.shape[0])).cpu().data<long>().ToArray();
        int k = (int)Math.Min(count, vectors.shape[0]);
        return Enumerable
            .Range(0, prototypes.Count)
            .Select(p => (IReadOnlyList<string>)Enumerable.Range(0, k).Select(j => texts[encoded.Report[order[p * k + j]]]).ToList())
            .ToList();
    }
}
