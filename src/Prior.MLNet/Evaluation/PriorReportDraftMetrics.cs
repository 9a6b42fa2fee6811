namespace Prior.MLNet.Evaluation;

/// <summary>
/// Report-generation scores of drafted reports against their references: natural-language overlap (BLEU-4, ROUGE-L)
/// and clinical efficacy (the CheXpert report labeler's 14 observations of each draft against its reference's); what
/// <see cref="PriorEvaluationCatalog.EvaluateReportDrafts"/> returns.
/// </summary>
public sealed class PriorReportDraftMetrics
{
    internal PriorReportDraftMetrics(ReportDraftEvaluation.Scores scores, int reports)
    {
        Bleu4 = scores.Bleu4;
        RougeL = scores.RougeL;
        ChexpertPrecision = scores.ChexpertPrecision;
        ChexpertRecall = scores.ChexpertRecall;
        ChexpertF1 = scores.ChexpertF1;
        ChexpertMacroF1 = scores.ChexpertMacroF1;
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

    /// <summary>Macro F1 over the observations some reference is positive for.</summary>
    public double ChexpertMacroF1 { get; }

    /// <summary>The drafts' mean number of sentences.</summary>
    public double MeanSentences { get; }

    /// <summary>The number of draft–reference pairs scored.</summary>
    public int Reports { get; }
}
