using Prior.MLNet.Generation;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Scores drafted reports on held-out studies against their real reports: every <see cref="ReportDraftMethod"/> the
/// network's memory allows, beside the trivial baseline a drafter must beat — one constant report for every image, the
/// most frequent training report. Texts compared are the sentences of FINDINGS then IMPRESSION (no headers).
/// </summary>
internal static class ReportDraftEvaluation
{
    /// <summary>A study to draft for: an image and the sentences of its real report.</summary>
    public sealed record Case(string ImagePath, IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)
    {
        /// <summary>The reference text: findings then impression sentences.</summary>
        public string Reference => string.Join(" ", Findings.Concat(Impression));
    }

    /// <summary>Report-generation scores of one method (clinical efficacy by the CheXpert report labeler, over the 14 labels).</summary>
    public sealed record Scores(
        double Bleu4,
        double RougeL,
        double ChexpertPrecision,
        double ChexpertRecall,
        double ChexpertF1,
        double ChexpertMacroF1,
        double ChexpertExampleF1,
        double MeanSentences
    );

    /// <summary>One row of the comparison: a method (or the constant baseline), its scores and its drafts in case order.</summary>
    public sealed record Row(string Name, Scores Scores, IReadOnlyList<ReportDraft> Drafts);

    /// <summary>The rows: the methods in <see cref="ReportDraftMethod"/> order, then the constant report.</summary>
    public sealed record Result(IReadOnlyList<Row> Rows, ReportDraft ConstantReport)
    {
        /// <summary>The row of <paramref name="method"/>.</summary>
        public Row Of(ReportDraftMethod method) => Rows.Single(r => r.Name == Name(method));

        /// <summary>The constant report's row.</summary>
        public Row Constant => Rows[^1];
    }

    /// <summary>How a method is named in tables and JSON.</summary>
    public static string Name(ReportDraftMethod method) =>
        method switch
        {
            ReportDraftMethod.Retrieval => "retrieval",
            ReportDraftMethod.NearestReport => "nearest report",
            ReportDraftMethod.Prototype => "prototype",
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
        };

    /// <summary>
    /// The constant baseline: the most frequent training report; among equally frequent ones (all of them, when no
    /// two reports are the same) the one whose sentences are most frequent on average, then the first in text order.
    /// </summary>
    public static ReportDraft MostFrequentReport(IReadOnlyList<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0)
            throw new ArgumentException("No training report for the constant baseline.", nameof(reports));
        var sentenceCounts = reports
            .SelectMany(r => r.Findings.Concat(r.Impression))
            .GroupBy(s => s, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var best = reports
            .Where(r => r.Findings.Count + r.Impression.Count > 0)
            .GroupBy(r => string.Join("\n", r.Findings) + "\n\n" + string.Join("\n", r.Impression), StringComparer.Ordinal)
            .Select(g => (Report: g.First(), Count: g.Count(), Key: g.Key))
            .OrderByDescending(g => g.Count)
            .ThenByDescending(g => g.Report.Findings.Concat(g.Report.Impression).Average(s => sentenceCounts[s]))
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .First();
        return new ReportDraft(best.Report.Findings, best.Report.Impression);
    }

    /// <summary>
    /// Scores written reports against references, both as sentence lists in report order: BLEU-4 and ROUGE-L on the
    /// joined text, clinical efficacy by the CheXpert report labeler (<paramref name="referenceLabels"/>: the labeler's
    /// labels of <paramref name="references"/>, when already computed) as <see cref="PriorReportDraftMetrics.ChexpertF1Convention"/>
    /// says.
    /// </summary>
    public static Scores ScoreSentences(
        ChexpertReportLabeler labeler,
        IReadOnlyList<IReadOnlyList<string>> written,
        IReadOnlyList<IReadOnlyList<string>> references,
        IReadOnlyList<float[]>? referenceLabels = null
    )
    {
        if (written.Count != references.Count)
            throw new ArgumentException($"{written.Count} written reports but {references.Count} references.", nameof(references));
        referenceLabels ??= references.Select(labeler.LabelSentences).ToList();
        var texts = written.Select(d => string.Join(" ", d)).ToList();
        var referenceTexts = references.Select(r => string.Join(" ", r)).ToList();
        var labels = written.Select(labeler.LabelSentences).ToList();
        var (p, r, f1) = ReportGenerationMetrics.ClinicalEfficacy(labels, referenceLabels);
        return new Scores(
            ReportGenerationMetrics.Bleu(texts, referenceTexts),
            ReportGenerationMetrics.RougeL(texts, referenceTexts),
            p,
            r,
            f1,
            ReportGenerationMetrics.ClinicalEfficacyMacro(labels, referenceLabels).F1,
            ReportGenerationMetrics.ClinicalEfficacyExampleBased(labels, referenceLabels),
            written.Count == 0 ? 0 : written.Average(d => d.Count)
        );
    }

    /// <summary>
    /// Drafts every case with <paramref name="network"/> (which needs a sentence memory) by each of
    /// <paramref name="methods"/> and scores them beside the most frequent of <paramref name="trainingReports"/>;
    /// unreadable images fail with their path.
    /// </summary>
    public static Result Evaluate(
        PriorNetwork network,
        IReadOnlyList<Case> cases,
        IReadOnlyList<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> trainingReports,
        IReadOnlyList<ReportDraftMethod>? methods = null,
        int batchSize = Defaults.InferenceBatchSize
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(trainingReports);
        if (cases.Count == 0)
            throw new ArgumentException("No held-out case to draft for.", nameof(cases));
        methods ??= Enum.GetValues<ReportDraftMethod>();
        var constant = MostFrequentReport(trainingReports);
        var preprocessor = network.ImagePreprocessor;
        var drafts = methods.ToDictionary(m => m, _ => new List<ReportDraft>());
        for (int start = 0; start < cases.Count; start += batchSize)
        {
            var batch = cases.Skip(start).Take(batchSize).ToList();
            var (pixels, errors) = preprocessor.LoadAll(batch.Select(c => c.ImagePath).ToList());
            for (int i = 0; i < batch.Count; i++)
            {
                if (pixels[i] is null)
                    throw new InvalidDataException($"{batch[i].ImagePath}: {errors[i]}");
            }
            var readable = pixels.Select(p => p!).ToList();
            foreach (var method in methods)
                drafts[method].AddRange(network.DraftReports(readable, method));
        }
        var references = cases.Select(c => (IReadOnlyList<string>)[.. c.Findings, .. c.Impression]).ToList();
        var labeler = new ChexpertReportLabeler();
        var referenceLabels = references.Select(labeler.LabelSentences).ToList();
        Scores Score(IReadOnlyList<ReportDraft> written) =>
            ScoreSentences(labeler, written.Select(d => d.Sentences).ToList(), references, referenceLabels);
        var rows = methods.Select(m => new Row(Name(m), Score(drafts[m]), drafts[m])).ToList();
        var constants = Enumerable.Repeat(constant, cases.Count).ToList();
        rows.Add(new Row("constant report", Score(constants), constants));
        return new Result(rows, constant);
    }
}
