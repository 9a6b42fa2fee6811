using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>
/// The paper's evaluations through <c>mlContext.PriorEvaluation()</c>, each by its published protocol: zero-shot CheXpert
/// 5x200, image↔report retrieval on held-out studies, the linear probe, and drafted reports against the real ones.
/// </summary>
public static class EvaluationSample
{
    /// <summary>The figures the sample computes.</summary>
    /// <param name="ZeroShot">Zero-shot classification of the 5 x N subset.</param>
    /// <param name="Retrieval">Retrieval on the held-out MIMIC-CXR studies.</param>
    /// <param name="LinearProbe">The linear probe at 10 % and 100 % of the training labels.</param>
    /// <param name="Drafts">The network's drafts of the held-out studies' reports.</param>
    public sealed record Figures(
        PriorZeroShotMetrics ZeroShot,
        PriorRetrievalMetrics Retrieval,
        IReadOnlyList<PriorLinearProbeMetrics> LinearProbe,
        PriorReportDraftMetrics Drafts
    );

    /// <summary>Runs the sample.</summary>
    public static Figures Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        using var network = PriorNetwork.Load(data.ModelPath);
        var evaluate = ml.PriorEvaluation();

        // Zero-shot: each image's class is the one competition label it is positive for; others are named, not scored.
        var subset = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = data.CheXpertRoot, Csv = data.ZeroShotCsv });
        var zeroShot = evaluate.EvaluateZeroShot(network, subset);
        Console.WriteLine(
            $"zero-shot: accuracy {zeroShot.Accuracy:0.000} (chance {zeroShot.Chance:0.000}), macro F1 {zeroShot.MacroF1:0.000} on "
                + $"{zeroShot.Scored} images; {zeroShot.NotScored.Count} not scored"
        );

        // Retrieval: embed each held-out study's image and report, then P@K both ways from the two columns.
        var heldOut = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = data.MimicIndex, Splits = ["validate", "test"] });
        var embedded = ml
            .Transforms.PriorImageEmbedding(network)
            .Append(ml.Transforms.PriorReportEmbedding(network))
            .Fit(heldOut)
            .Transform(heldOut);
        var retrieval = evaluate.EvaluateRetrieval(embedded);
        Console.WriteLine($"retrieval: {retrieval}");

        // The linear probe by the paper's protocol: train.csv trains, valid.csv tests, blank and uncertain labels negative.
        CheXpertLoaderOptions Split(string csv) =>
            new()
            {
                Root = data.CheXpertRoot,
                Csv = csv,
                BlankLabel = ChexpertLabels.Negative,
                UncertainLabels = UncertaintyPolicy.Zeros,
            };
        var probe = evaluate.EvaluateLinearProbe(
            network,
            ml.Data.LoadCheXpert(Split("train.csv")),
            ml.Data.LoadCheXpert(Split("valid.csv")),
            fractions: [0.1, 1.0]
        );
        foreach (var p in probe)
            Console.WriteLine(
                $"linear probe on {p.Fraction:P0} of the labels: mean AUC {p.MeanAuc:0.000} over {p.Auc.Count} labels"
                    + (p.NotScored.Count > 0 ? $" ({string.Join("; ", p.NotScored.Select(kv => $"{kv.Key}: {kv.Value}"))})" : "")
            );

        // Drafted reports (the nearest training report by default) against each study's FINDINGS then IMPRESSION.
        var drafted = ml.Transforms.PriorReportDraft(network).Fit(heldOut).Transform(heldOut);
        var drafts = evaluate.EvaluateReportDrafts(drafted);
        Console.WriteLine(
            $"drafts of {drafts.Reports} reports: BLEU-4 {drafts.Bleu4:0.000}, ROUGE-L {drafts.RougeL:0.000}, CheXpert F1 "
                + $"{drafts.ChexpertF1:0.000}"
        );
        return new Figures(zeroShot, retrieval, probe, drafts);
    }
}
