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
}
