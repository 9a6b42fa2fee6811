using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples.Commands;

/// <summary>The evaluation protocols shared by the commands and the demo.</summary>
internal static class Experiments
{
    /// <summary>Held-out (validate + test split) MIMIC-CXR retrieval.</summary>
    public static Retrieval.Result Retrieval(PriorNetwork network, string dataRootOrIndex, bool skipUnreadable = false, bool? usePrototypes = null)
    {
        var ml = new MLContext(seed: 1);
        var found = MimicCxrLoaderOptions.FromRoot(dataRootOrIndex);   // a root's folders and tables, or an index
        var view = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions
        {
            IndexPath = found.IndexPath, ImageFolder = found.ImageFolder, ReportFolder = found.ReportFolder, MetadataPath = found.MetadataPath,
            SplitPath = found.SplitPath, LabelsPath = found.LabelsPath, Splits = ["validate", "test"],
        });
        var studies = TrainingStudies.FromDataView(view, MimicCxrColumns.ImagePaths, MimicCxrColumns.Sentences, new DataLoadSummary());
        var skipped = new List<string>();
        var result = Evaluation.Retrieval.Evaluate(network.Model, network.Tokenizer, studies, usePrototypes ?? network.UsePrototypes,
            unreadableImages: skipUnreadable ? UnreadableImageHandling.Skip : UnreadableImageHandling.Fail, skipped: skipped);
        InputList.ReportFailures(skipped, studies.Count);
        return result;
    }

    /// <summary>Linear probes on CheXpert train.csv (frontal, U-Zeros, blank = 0), evaluated on valid.csv.</summary>
    public static IReadOnlyList<LinearProbe.Result> LinearProbe(PriorNetwork network, string chexpert, IReadOnlyList<double> fractions, bool skipUnreadable = false)
    {
        var ml = new MLContext(seed: 1);
        var labels = ChexpertLabels.CompetitionFive;
        List<LinearProbe.Example> Load(string csv) => ml.Data.CreateEnumerable<CheXpertImage>(ml.Data.LoadCheXpert(new CheXpertLoaderOptions
        {
            Root = chexpert, Csv = csv, UncertainLabels = UncertaintyPolicy.Zeros, BlankLabel = 0,
        }), false).Select(i => new LinearProbe.Example(i.ImagePath, labels.Select(l => i.Labels[ChexpertLabels.IndexOf(l)]).ToArray())).ToList();
        var (train, test) = (Load("train.csv"), Load("valid.csv"));
        var skipped = new List<string>();
        var results = Evaluation.LinearProbe.Run(ml, network, train, test, labels, fractions,
            unreadableImages: skipUnreadable ? UnreadableImageHandling.Skip : UnreadableImageHandling.Fail, skipped: skipped);
        InputList.ReportFailures(skipped, train.Count + test.Count);
        return results;
    }

    private static List<MimicCxrStudy> Studies(string index, IReadOnlyList<string> splits)
    {
        var ml = new MLContext(seed: 1);
        return ml.Data.CreateEnumerable<MimicCxrStudy>(ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index, Splits = splits }), false).ToList();
    }

    /// <summary>
    /// What the prototypes mean: the held-out reports' sentences typed by the synthetic generator's
    /// <c>synth-sentence-types.tsv</c> (sentences it does not list are left out and counted), against their prototypes.
    /// </summary>
    public static (PrototypeAnalysis.Result Result, int Untyped) Prototypes(PriorNetwork network, string index, string sentenceTypesPath)
    {
        var types = Data.Synthetic.SyntheticSentenceType.Read(sentenceTypesPath);
        var sentences = Studies(index, ["validate", "test"]).SelectMany(s => s.Sentences).ToList();
        var typed = sentences.Where(types.ContainsKey).ToList();
        var training = Studies(index, ["train"]).SelectMany(s => s.Sentences).ToList();
        var result = PrototypeAnalysis.Analyze(network.Model, network.Tokenizer, typed, typed.Select(t => types[t].Key).ToList(), training);
        return (result, sentences.Count - typed.Count);
    }

    /// <summary>Drafts for the held-out studies (their first frontal image) scored against their reports, beside the nearest-training-report baseline.</summary>
    public static ReportDraftEvaluation.Result Drafts(PriorNetwork network, string index)
    {
        static IReadOnlyList<string> Split(string text) => Data.Reports.SentenceSplitter.Split(text);
        var cases = Studies(index, ["validate", "test"]).Select(s => new ReportDraftEvaluation.Case(s.ImagePaths[0], Split(s.Findings), Split(s.Impression))).ToList();
        var training = Studies(index, ["train"]).Select(s => (Split(s.Findings), Split(s.Impression))).ToList();
        return ReportDraftEvaluation.Evaluate(network, cases, training);
    }

    /// <summary>The report labeler's F1 per label (labels with at least 5 positives) against the synthetic reports' known labels, all splits.</summary>
    public static IReadOnlyDictionary<string, double> LabelerF1(string index)
    {
        var studies = Studies(index, ["train", "validate", "test"]);
        var labeler = new Text.ChexpertReportLabeler();
        var predicted = studies.Select(s => labeler.LabelSentences(s.Sentences)).ToList();
        return LabelAgreement.F1PerLabel(studies.Select(s => s.Labels).ToList(), predicted);
    }
}
