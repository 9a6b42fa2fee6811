using Prior.MLNet.Training;

namespace Prior.MLNet;

/// <summary>
/// The column names, seed and preset that Prior.MLNet's loaders, estimators and transformers use when not told
/// otherwise, declared once: a loader's output column is the name the estimators read by default, so the default
/// pipeline needs no column arguments.
/// </summary>
public static class Defaults
{
    /// <summary>Text vector of a study's frontal images (written by <c>LoadMimicCxr</c>, read by <c>PriorPretrain</c>).</summary>
    public const string ImagePathsColumnName = "ImagePaths";

    /// <summary>Text vector of a report's sentences (written by <c>LoadMimicCxr</c>, read by <c>PriorPretrain</c>).</summary>
    public const string SentencesColumnName = "Sentences";

    /// <summary>One image's path (written by every loader, read by the embedding, zero-shot and fine-tuning transforms).</summary>
    public const string ImagePathColumnName = "ImagePath";

    /// <summary>The report's FINDINGS section (text).</summary>
    public const string FindingsColumnName = "Findings";

    /// <summary>The report's IMPRESSION section (text).</summary>
    public const string ImpressionColumnName = "Impression";

    /// <summary>Output: the L2-normalised image embedding.</summary>
    public const string ImageEmbeddingColumnName = "ImageEmbedding";

    /// <summary>Output: the L2-normalised report embedding.</summary>
    public const string ReportEmbeddingColumnName = "ReportEmbedding";

    /// <summary>Output: why an image was skipped (empty when it was read), when unreadable images are skipped.</summary>
    public const string ImageErrorColumnName = "ImageError";

    /// <summary>The label column, as ML.NET's trainers name it.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>Output: scores, as ML.NET's trainers name them.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>Output: the predicted label, as ML.NET's trainers name it.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>Output: the 14 CheXpert observations of a report's labeler.</summary>
    public const string ChexpertLabelsColumnName = "ChexpertLabels";

    /// <summary>PRIOR's own seed (the original's <c>seed_everything(114514)</c>), the default of every seed in the library.</summary>
    public const long Seed = 114514;

    /// <summary>The preset when none is named: <see cref="PriorPreset.Tiny"/>, which learns on a CPU.</summary>
    public const PriorPreset Preset = PriorPreset.Tiny;

    /// <summary>MIMIC-CXR views that PRIOR keeps: the frontal ones.</summary>
    public static IReadOnlyList<string> MimicCxrViews { get; } = ["PA", "AP"];

    /// <summary>PRIOR drops MIMIC-CXR studies with fewer sentences in FINDINGS and IMPRESSION together.</summary>
    public const int MinReportSentences = 4;

    /// <summary>
    /// Images or reports run through the network at once by the inference transforms and evaluations (32: a batch of the
    /// paper preset's 224-pixel images fits a CPU's cache-friendly working set and a small GPU).
    /// </summary>
    public const int InferenceBatchSize = 32;

    /// <summary>
    /// How a report is drafted when no method is named: the training report nearest the image in the joint space, whole
    /// (the best of the three in docs/drafting.md).
    /// </summary>
    public const Generation.ReportDraftMethod ReportDraftMethod = Generation.ReportDraftMethod.NearestReport;
}
