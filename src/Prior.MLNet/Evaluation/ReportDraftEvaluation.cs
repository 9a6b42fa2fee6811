using Prior.MLNet.Generation;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Scores drafted reports on held-out studies against their real reports, beside the retrieval baseline that
/// report-generation papers compare with: the training report whose embedding is nearest the image's (PRIOR's own
/// cross-modal retrieval), copied whole. Texts compared are the sentences of FINDINGS then IMPRESSION (no headers).
/// </summary>
internal static class ReportDraftEvaluation
{
    /// <summary>A study to draft for: an image and the sentences of its real report.</summary>
    public sealed record Case(string ImagePath, IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)
    {
        /// <summary>The reference text: findings then impression sentences.</summary>
        public string Reference => string.Join(" ", Findings.Concat(Impression));
    }

    /// <summary>Report-generation scores of one method.</summary>
    public sealed record Scores(
        double Bleu4,
        double RougeL,
        double ChexpertPrecision,
        double ChexpertRecall,
        double ChexpertF1,
        double MeanSentences
    );

    /// <summary>The drafts' scores, the baseline's, and the drafts themselves (in case order).</summary>
    public sealed record Result(
        Scores Draft,
        Scores NearestReport,
        IReadOnlyList<ReportDraft> Drafts,
        IReadOnlyList<string> NearestReports
    );

    /// <summary>
    /// Drafts every case with <paramref name="network"/> (which needs a sentence memory) and retrieves, for the baseline,
    /// the nearest of <paramref name="trainingReports"/>; unreadable images fail with their path.
    /// </summary>
    public static Result Evaluate(
        PriorNetwork network,
        IReadOnlyList<Case> cases,
        IReadOnlyList<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> trainingReports,
        int batchSize = 64
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(trainingReports);
        if (cases.Count == 0)
            throw new ArgumentException("No held-out case to draft for.", nameof(cases));
        if (trainingReports.Count == 0)
            throw new ArgumentException("No training report for the retrieval baseline.", nameof(trainingReports));
        var preprocessor = new ImagePreprocessor(network.Model.Options.ImageSize, network.Inference.ImageMean, network.Inference.ImageStd);
        var drafts = new List<ReportDraft>();
        var imageEmbeddings = new List<float[]>();
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
            drafts.AddRange(network.DraftReports(readable));
            imageEmbeddings.AddRange(network.EmbedImages(readable, local: false).Global);
        }
        var reportTexts = trainingReports.Select(r => r.Findings.Concat(r.Impression).ToList()).ToList();
        var reportEmbeddings = new List<float[]>();
        for (int start = 0; start < reportTexts.Count; start += batchSize)
            reportEmbeddings.AddRange(network.EmbedReports(reportTexts.Skip(start).Take(batchSize).Cast<IReadOnlyList<string>>().ToList()));
        var nearest = imageEmbeddings
            .Select(image =>
            {
                int best = 0;
                double bestScore = double.NegativeInfinity;
                for (int j = 0; j < reportEmbeddings.Count; j++)
                {
                    double score = 0;
                    var report = reportEmbeddings[j];
                    for (int d = 0; d < image.Length; d++)
                        score += image[d] * report[d];
                    if (score > bestScore)
                        (best, bestScore) = (j, score);
                }
                return best;
            })
            .ToList();
        var references = cases.Select(c => c.Reference).ToList();
        var labeler = new ChexpertReportLabeler();
        var referenceLabels = cases.Select(c => labeler.LabelSentences(c.Findings.Concat(c.Impression).ToList())).ToList();
        Scores Score(IReadOnlyList<IReadOnlyList<string>> sentences)
        {
            var texts = sentences.Select(s => string.Join(" ", s)).ToList();
            var (p, r, f1) = ReportGenerationMetrics.ClinicalEfficacy(sentences.Select(labeler.LabelSentences).ToList(), referenceLabels);
            return new Scores(
                ReportGenerationMetrics.Bleu(texts, references),
                ReportGenerationMetrics.RougeL(texts, references),
                p,
                r,
                f1,
                sentences.Average(s => s.Count)
            );
        }
        var nearestSentences = nearest.Select(j => (IReadOnlyList<string>)reportTexts[j]).ToList();
        return new Result(
            Score(drafts.Select(d => d.Sentences).ToList()),
            Score(nearestSentences),
            drafts,
            nearestSentences.Select(s => string.Join(" ", s)).ToList()
        );
    }
}
