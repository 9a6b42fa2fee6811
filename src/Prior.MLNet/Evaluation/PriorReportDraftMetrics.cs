namespace Prior.MLNet.Evaluation;

/// <summary>
/// Report-generation scores of drafted reports against their references: natural-language overlap (BLEU-4, ROUGE-L)
/// and clinical efficacy (the CheXpert report labeler's 14 observations of each draft against its reference's); what
/// <see cref="PriorEvaluationCatalog.EvaluateReportDrafts"/> returns.
/// </summary>
public sealed class PriorReportDraftMetrics
{
    /// <summary>
    /// How the CheXpert F1 figures are computed, as the demo's JSON names it (<c>chexpertF1Convention</c>): the labels of
    /// draft and reference by this library's labeler under CheXpert's conventions (<see cref="Text.ReportLabelConventions.Chexpert"/>);
    /// a label found when 1 (uncertain and blank count as not found); the 14 labels, No Finding included; micro pooled
    /// over every (report, label); macro as scikit-learn's average="macro" with zero_division=0 (a label nobody has
    /// scores 0); example-based as average="samples" with zero_division=0.
    /// </summary>
    public const string ChexpertF1Convention =
        "labeler: Prior.MLNet CheXpert rules (chexpert conventions); positive = 1, uncertain and blank = not found; 14 labels incl. "
        + "No Finding; micro = pooled TP/FP/FN; macro = sklearn f1_score(average='macro', zero_division=0); "
        + "example-based = sklearn f1_score(average='samples', zero_division=0)";

    internal PriorReportDraftMetrics(ReportDraftEvaluation.Scores scores, int reports)
    {
        Bleu4 = scores.Bleu4;
        RougeL = scores.RougeL;
        ChexpertPrecision = scores.ChexpertPrecision;
        ChexpertRecall = scores.ChexpertRecall;
        ChexpertF1 = scores.ChexpertF1;
        ChexpertMacroF1 = scores.ChexpertMacroF1;
        ChexpertExampleF1 = scores.ChexpertExampleF1;
        MeanSentences = scores.MeanSentences;
        Reports = reports;
    }

    /// <summary>Corpus BLEU-4 (uniform weights, brevity penalty) of the drafts against the references.</summary>
    public double Bleu4 { get; }

    /// <summary>Mean ROUGE-L F (β = 1.2) of each draft against its reference.</summary>
    public double RougeL { get; }

    /// <summary>Micro precision of the drafts' positive CheXpert observations against the references'.</summary>
    public double ChexpertPrecision { get; }

    /// <summary>Micro recall of the references' positive CheXpert observations by the drafts.</summary>
    public double ChexpertRecall { get; }

    /// <summary>Micro F1 over the 14 CheXpert observations.</summary>
    public double ChexpertF1 { get; }

    /// <summary>
    /// Macro F1 over the 14 observations, each observation's F1 weighing the same, an observation neither drafts nor
    /// references have scoring 0 (scikit-learn's average="macro", zero_division=0; <see cref="ChexpertF1Convention"/>).
    /// </summary>
    public double ChexpertMacroF1 { get; }

    /// <summary>
    /// Example-based F1: each draft's F1 of its positive observations against its reference's, averaged over the reports
    /// (scikit-learn's average="samples", zero_division=0).
    /// </summary>
    public double ChexpertExampleF1 { get; }

    /// <summary>The drafts' mean number of sentences.</summary>
    public double MeanSentences { get; }

    /// <summary>The number of draft–reference pairs scored.</summary>
    public int Reports { get; }
}
