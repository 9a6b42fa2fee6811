namespace Prior.MLNet.Evaluation;

/// <summary>
/// Class prompts for zero-shot classification. PRIOR's own is one prompt per class, "<c>&lt;Class&gt; is observed</c>";
/// <see cref="CheXpert5"/> adds radiology phrasings per class (ensembled: max over prompts globally, mean locally).
/// </summary>
public static class ZeroShotPrompts
{
    /// <summary>PRIOR's single prompt per class.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Original(IEnumerable<string> classes) =>
        classes.ToDictionary(c => c, c => (IReadOnlyList<string>)[$"{c} is observed."]);

    /// <summary>The prompts of <paramref name="set"/> for <paramref name="classes"/> (the ensemble exists for the CheXpert five
    /// only).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> For(ZeroShotPromptSet set, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (set == ZeroShotPromptSet.Original)
            return Original(classes);
        var missing = classes.Where(c => !CheXpert5.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException(
                $"The ensemble prompt set has no prompts for {string.Join(", ", missing)}; use the original prompts or give your own.",
                nameof(classes)
            );
        return classes.ToDictionary(c => c, c => CheXpert5[c]);
    }

    /// <summary>Prompts for the CheXpert competition five, in <see cref="Data.ChexpertLabels.CompetitionFive"/> order.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> CheXpert5 { get; } =
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["Atelectasis"] =
            [
                "Atelectasis is observed.",
                "There is bibasilar atelectasis.",
                "Plate-like atelectasis at the lung base.",
                "Linear opacity consistent with atelectasis.",
            ],
            ["Cardiomegaly"] =
            [
                "Cardiomegaly is observed.",
                "The heart is enlarged.",
                "There is moderate cardiomegaly.",
                "Enlargement of the cardiac silhouette.",
            ],
            ["Consolidation"] =
            [
                "Consolidation is observed.",
                "There is a focal consolidation.",
                "Dense consolidation in the lower lung, which may represent pneumonia.",
                "Patchy consolidative opacity.",
            ],
            ["Edema"] =
            [
                "Edema is observed.",
                "There is pulmonary edema.",
                "Bilateral perihilar opacities consistent with pulmonary edema.",
                "Moderate pulmonary edema.",
            ],
            ["Pleural Effusion"] =
            [
                "Pleural Effusion is observed.",
                "There is a pleural effusion.",
                "Small bilateral pleural effusions.",
                "A moderate pleural effusion blunts the costophrenic angle.",
            ],
        };
}
