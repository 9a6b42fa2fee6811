namespace Prior.MLNet.Evaluation;

/// <summary>
/// What the sentence prototypes of stage 2's memory bank mean: typed sentences assigned to their noise-free prototype,
/// scored against their types by purity and NMI beside the same assignment shuffled (the chance level), and the most
/// used prototypes with what they stand for; what <see cref="PriorEvaluationCatalog.EvaluatePrototypes"/> returns.
/// </summary>
public sealed class PriorPrototypeMetrics
{
    internal PriorPrototypeMetrics(PrototypeAnalysis.Result result, int typed, int untyped, bool insideReports)
    {
        UnencodedSentences = typed - result.Sentences;
        Purity = result.Purity;
        Nmi = result.Nmi;
        ShuffledPurity = result.ShuffledPurity;
        ShuffledNmi = result.ShuffledNmi;
        PrototypesUsed = result.PrototypesUsed;
        Sentences = result.Sentences;
        UntypedSentences = untyped;
        InsideReports = insideReports;
        MostUsed = result
            .MostUsed.Select(p => new PriorPrototypeUse(p.Index, p.Sentences, p.MajorityType, p.MajorityShare, p.NearestTrainingSentences))
            .ToList();
    }

    /// <summary>The share of sentences whose prototype's most common type is their own.</summary>
    public double Purity { get; }

    /// <summary>Normalised mutual information between prototypes and types.</summary>
    public double Nmi { get; }

    /// <summary>Purity of the same assignment shuffled (mean of 20 seeded shuffles): the level with no meaning.</summary>
    public double ShuffledPurity { get; }

    /// <summary>NMI of the shuffled assignment.</summary>
    public double ShuffledNmi { get; }

    /// <summary>How many prototypes the sentences use.</summary>
    public int PrototypesUsed { get; }

    /// <summary>The typed sentences scored.</summary>
    public int Sentences { get; }

    /// <summary>Sentences left out because no type was given for them.</summary>
    public int UntypedSentences { get; }

    /// <summary>
    /// Typed sentences the text tower could not place, and so not scored: no word-piece token, or (inside a report) past
    /// the tokenizer's length of the report.
    /// </summary>
    public int UnencodedSentences { get; }

    /// <summary>Whether each sentence was encoded inside its report (as training sees it) rather than alone.</summary>
    public bool InsideReports { get; }

    /// <summary>The most used prototypes, most used first.</summary>
    public IReadOnlyList<PriorPrototypeUse> MostUsed { get; }
}

/// <summary>One prototype of <see cref="PriorPrototypeMetrics.MostUsed"/>: its use and what it stands for.</summary>
/// <param name="Index">Its row in the memory bank.</param>
/// <param name="Sentences">The scored sentences assigned to it.</param>
/// <param name="MajorityType">The most common type among them.</param>
/// <param name="MajorityShare">That type's share of them.</param>
/// <param name="NearestSentences">The reference sentences nearest to it (cosine), nearest first.</param>
public sealed record PriorPrototypeUse(
    int Index,
    int Sentences,
    string MajorityType,
    double MajorityShare,
    IReadOnlyList<string> NearestSentences
);
