using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>The evaluation protocols shared by the commands and the demo.</summary>
internal static class Evaluations
{
    /// <summary>Held-out (validate + test split) MIMIC-CXR retrieval.</summary>
    public static PriorRetrievalMetrics Retrieval(
        PriorNetwork network,
        string dataRootOrIndex,
        bool skipUnreadable = false,
        bool? usePrototypes = null
    )
    {
        var ml = new MLContext(seed: 1);
        var found = MimicCxrLoaderOptions.FromRoot(dataRootOrIndex); // a root's folders and tables, or an index
        var view = ml.Data.LoadMimicCxr(found with { Splits = ["validate", "test"] });
        var studies = TrainingStudies.FromDataView(view, MimicCxrColumns.ImagePaths, MimicCxrColumns.Sentences, new DataLoadSummary());
        var skipped = new List<string>();
        var result = Evaluation.Retrieval.Evaluate(
            network.Model,
            network.Tokenizer,
            network.ImagePreprocessor,
            studies,
            usePrototypes ?? network.UsePrototypes,
            unreadableImages: skipUnreadable ? UnreadableImageHandling.Skip : UnreadableImageHandling.Fail,
            skipped: skipped
        );
        InputList.ReportFailures(skipped, studies.Count);
        return result;
    }

    /// <summary>
    /// Linear probes on CheXpert's frontal images under <paramref name="protocol"/> (default: train.csv trains, valid.csv
    /// tests, blank and uncertain labels negative, the five competition labels).
    /// </summary>
    public static IReadOnlyList<PriorLinearProbeMetrics> LinearProbe(
        PriorNetwork network,
        string chexpert,
        IReadOnlyList<double> fractions,
        bool skipUnreadable = false,
        CheXpertProtocol? protocol = null
    )
    {
        var ml = new MLContext(seed: 1);
        protocol ??= CheXpertProtocol.Default;
        var labels = protocol.Labels;
        var (train, test, trainName, testName) = CheXpertExamples(chexpert, protocol);
        var skipped = new List<string>();
        var results = Evaluation.LinearProbe.Run(
            ml,
            network,
            train,
            test,
            labels,
            fractions,
            unreadableImages: skipUnreadable ? UnreadableImageHandling.Skip : UnreadableImageHandling.Fail,
            skipped: skipped,
            trainName: trainName,
            testName: testName
        );
        InputList.ReportFailures(skipped, train.Count + test.Count);
        return results;
    }

    /// <summary>Share of RSNA's images held out for testing by <see cref="Detect"/> (a fixed, seed-independent split: RSNA's public labels
    /// have no split).</summary>
    public const double DetectionTestShare = 0.2;

    /// <summary>Share of the SIIM images held out for testing by <see cref="Segment"/> (a fixed, seed-independent split: SIIM's labels have
    /// no split).</summary>
    public const double SegmentationTestShare = 0.2;

    /// <summary>
    /// Lung-opacity detection on an RSNA Pneumonia folder: a fixed fifth of the images held out, then per seed the
    /// detector fine-tuned on <paramref name="fraction"/> of the rest from the network's ResNet and from random weights
    /// (the same images, head start and batch order).
    /// </summary>
    public static (
        List<Downstream.DetectionFineTuning.Result> Pretrained,
        List<Downstream.DetectionFineTuning.Result> Baseline,
        List<Downstream.DetectionFineTuning.Example> Test
    ) Detect(
        PriorNetwork network,
        string rsnaRoot,
        double fraction,
        IReadOnlyList<long> seeds,
        int epochs,
        bool freeze,
        Action<string>? log = null,
        IReadOnlyList<string>? labels = null,
        string testName = "valid.csv",
        int annotationSize = Data.Downstream.DownstreamCatalog.PublishedImageSize
    )
    {
        var ml = new MLContext(seed: 1);
        var images = ml
            .Data.CreateEnumerable<Data.Downstream.RsnaPneumoniaImage>(
                ml.Data.LoadRsnaPneumonia(rsnaRoot, out var summary, annotationSize),
                false
            )
            .Select(i => new Downstream.DetectionFineTuning.Example(i.ImagePath, BoundingBox.FromFlat(i.Boxes)))
            .ToList();
        if (images.Count < 10)
            throw new InvalidDataException($"{rsnaRoot}: {images.Count} usable images ({summary}); detection needs at least 10.");
        return AgainstRandomWeights(
            network,
            images,
            0xDE7EC7,
            DetectionTestShare,
            fraction,
            seeds,
            epochs,
            freeze,
            Downstream.DetectionFineTuning.Run,
            (seed, chosen, test, withPrior, fromRandom) =>
                log?.Invoke(
                    $"seed {seed}: {chosen.Count} training images ({chosen.Count(c => c.Boxes.Count > 0)} with boxes), {test.Count} test; "
                        + $"mAP from PRIOR {withPrior.Map:0.000} (challenge IoUs {withPrior.MapChallenge:0.000}, threshold "
                        + $"{withPrior.ScoreThreshold:0.00}), "
                        + $"from random weights {fromRandom.Map:0.000} ({fromRandom.MapChallenge:0.000}, threshold "
                        + $"{fromRandom.ScoreThreshold:0.00})"
                )
        );
    }

    /// <summary>
    /// Pneumothorax segmentation on a SIIM-ACR folder: a fixed fifth of the images held out, then per seed the U-Net
    /// fine-tuned on <paramref name="fraction"/> of the rest from the network's ResNet and from random weights (the
    /// same images, decoder start and batch order).
    /// </summary>
    public static (
        List<Downstream.SegmentationFineTuning.Result> Pretrained,
        List<Downstream.SegmentationFineTuning.Result> Baseline,
        List<Downstream.SegmentationFineTuning.Example> Test
    ) Segment(
        PriorNetwork network,
        string siimRoot,
        double fraction,
        IReadOnlyList<long> seeds,
        int epochs,
        bool freeze,
        Action<string>? log = null,
        IReadOnlyList<string>? labels = null,
        string testName = "valid.csv",
        int annotationSize = Data.Downstream.DownstreamCatalog.PublishedImageSize
    )
    {
        var ml = new MLContext(seed: 1);
        var images = ml
            .Data.CreateEnumerable<Data.Downstream.SiimPneumothoraxImage>(
                ml.Data.LoadSiimPneumothorax(siimRoot, out var summary, annotationSize),
                false
            )
            .Select(i => new Downstream.SegmentationFineTuning.Example(i.ImagePath, i.EncodedPixels))
            .ToList();
        if (images.Count < 10)
            throw new InvalidDataException($"{siimRoot}: {images.Count} usable images ({summary}); segmentation needs at least 10.");
        return AgainstRandomWeights(
            network,
            images,
            0x5111A,
            SegmentationTestShare,
            fraction,
            seeds,
            epochs,
            freeze,
            Downstream.SegmentationFineTuning.Run,
            (seed, chosen, test, withPrior, fromRandom) =>
                log?.Invoke(
                    $"seed {seed}: {chosen.Count} training images, {test.Count} test; "
                        + $"Dice from PRIOR {withPrior.Dice:0.000} (on positives {withPrior.DiceOnPositives:0.000}), from random weights "
                        + $"{fromRandom.Dice:0.000} (on positives {fromRandom.DiceOnPositives:0.000}); "
                        + $"without the minimum mask size (PRIOR {withPrior.MinimumMaskPixels} px, random {fromRandom.MinimumMaskPixels} "
                        + $"px) {withPrior.DiceWithoutMinimum:0.000} and {fromRandom.DiceWithoutMinimum:0.000}"
                )
        );
    }

    /// <summary>The delegate shape of the downstream tasks' <c>Run</c>: pretrained model (null: random weights), sizes, train, test,
    /// options, normalisation, log.</summary>
    private delegate TResult TaskRun<TExample, TResult>(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<TExample> train,
        IReadOnlyList<TExample> test,
        Trainers.FineTuningOptions options,
        float imageMean,
        float imageStd,
        Action<string>? log
    );

    /// <summary>
    /// A fixed, seed-independent test share split off with <paramref name="splitSeed"/>; then per seed
    /// <paramref name="fraction"/> of the rest, trained from the network's ResNet and from random weights with the
    /// same images, options and batch order.
    /// </summary>
    private static (List<TResult> Pretrained, List<TResult> Baseline, List<TExample> Test) AgainstRandomWeights<TExample, TResult>(
        PriorNetwork network,
        IReadOnlyList<TExample> images,
        ulong splitSeed,
        double testShare,
        double fraction,
        IReadOnlyList<long> seeds,
        int epochs,
        bool freeze,
        TaskRun<TExample, TResult> run,
        Action<long, List<TExample>, List<TExample>, TResult, TResult> report
    )
    {
        if (fraction is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");
        var split = Enumerable.Range(0, images.Count).ToArray();
        new DeterministicRandom(splitSeed).Shuffle(split);
        int testCount = (int)Math.Round(testShare * images.Count);
        var test = split.Take(testCount).Select(i => images[i]).ToList();
        var pool = split.Skip(testCount).Select(i => images[i]).ToList();
        var (mean, std) = (network.ImagePreprocessor.Mean, network.ImagePreprocessor.Std);
        var pretrained = new List<TResult>();
        var baseline = new List<TResult>();
        foreach (var seed in seeds)
        {
            var chosen = LabelFraction.Choose(pool.Count, fraction, seed).Select(i => pool[i]).ToList();
            var options = new Trainers.FineTuningOptions
            {
                Epochs = epochs,
                FreezeEncoder = freeze,
                Seed = seed,
                BatchSize = Trainers.FineTuningOptions.DenseTaskBatchSize,
            };
            pretrained.Add(run(network.Model, network.Model.Options, chosen, test, options, mean, std, null));
            baseline.Add(run(null, network.Model.Options, chosen, test, options, mean, std, null));
            report(seed, chosen, test, pretrained[^1], baseline[^1]);
        }
        return (pretrained, baseline, test);
    }

    /// <summary>
    /// CheXpert's frontal images as labelled examples under <paramref name="protocol"/> (default: train.csv and valid.csv,
    /// the five competition labels, uncertain and blank as 0), with the names reports give the two sets.
    /// </summary>
    public static (List<LinearProbe.Example> Train, List<LinearProbe.Example> Test, string TrainName, string TestName) CheXpertExamples(
        string chexpert,
        CheXpertProtocol? protocol = null
    )
    {
        protocol ??= CheXpertProtocol.Default;
        var (train, test, trainName, testName) = CheXpertImages(chexpert, protocol);
        List<LinearProbe.Example> Examples(IEnumerable<CheXpertImage> images) =>
            images
                .Select(i => new LinearProbe.Example(
                    i.ImagePath,
                    protocol.Labels.Select(l => i.Labels[ChexpertLabels.IndexOf(l)]).ToArray()
                ))
                .ToList();
        return (Examples(train), Examples(test), trainName, testName);
    }

    /// <summary>
    /// CheXpert's frontal images as rows of <c>LoadCheXpert</c> under <paramref name="protocol"/>'s label policy and split,
    /// with the names reports give the two sets.
    /// </summary>
    public static (List<CheXpertImage> Train, List<CheXpertImage> Test, string TrainName, string TestName) CheXpertImages(
        string chexpert,
        CheXpertProtocol? protocol = null
    )
    {
        protocol ??= CheXpertProtocol.Default;
        var ml = new MLContext(seed: 1);
        List<CheXpertImage> Load(string csv) =>
            ml.Data.CreateEnumerable<CheXpertImage>(ml.Data.LoadCheXpert(protocol.Policy.LoaderOptions(chexpert, csv)), false).ToList();
        var train = Load("train.csv");
        var test = Load("valid.csv");
        if (protocol.Split == CheXpertSplit.Official)
            return (train, test, "train.csv", "valid.csv");

        // GLoRIA's split (the library's): the zero-shot 5x200 images out, 5,000 validation images out, the rest trains.
        var file = protocol.SplitFile!;
        bool existed = File.Exists(file);
        var (trainView, validationView) = ml.Data.LoadCheXpertPublishedSplit(
            protocol.Policy.LoaderOptions(chexpert, "train.csv"),
            file,
            protocol.SplitSeed
        );
        Console.WriteLine(
            existed
                ? $"split: read from {file}"
                : $"split: written to {file} (seed {protocol.SplitSeed}); give it as --split-file to repeat the run"
        );
        var trainPart = ml.Data.CreateEnumerable<CheXpertImage>(trainView, false).ToList();
        int validation = ml.Data.CreateEnumerable<CheXpertImage>(validationView, false).Count();
        Console.WriteLine(
            $"split: {trainPart.Count} training, {validation} validation, {train.Count - trainPart.Count - validation} zero-shot test "
                + "images of train.csv; valid.csv tests"
        );
        return (trainPart, test, "the published split's training images", "valid.csv");
    }

    private static List<MimicCxrStudy> Studies(string index, IReadOnlyList<string> splits)
    {
        var ml = new MLContext(seed: 1);
        return ml
            .Data.CreateEnumerable<MimicCxrStudy>(
                ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index, Splits = splits }),
                false
            )
            .ToList();
    }

    /// <summary>
    /// What the prototypes mean: the held-out reports' sentences typed by the synthetic generator's
    /// <c>synth-sentence-types.tsv</c> (sentences it does not list are left out and counted), against their prototypes —
    /// each sentence encoded alone, and each inside its report (as training and report embedding see it; the text tower
    /// is contextual). The index and the types are read once for both.
    /// </summary>
    public static (PriorPrototypeMetrics Alone, PriorPrototypeMetrics InReports) Prototypes(
        PriorNetwork network,
        string index,
        string sentenceTypesPath
    )
    {
        var types = Synthetic.SyntheticSentenceType.Read(sentenceTypesPath).ToDictionary(kv => kv.Key, kv => kv.Value.Key);
        var ml = new MLContext(seed: 1);
        var reports = ml.Data.LoadFromEnumerable(
            Studies(index, ["validate", "test"]).Select(s => new SentenceRow { Sentences = [.. s.Sentences] })
        );
        var evaluation = ml.PriorEvaluation();
        return (
            evaluation.EvaluatePrototypes(network, reports, types, insideReports: false),
            evaluation.EvaluatePrototypes(network, reports, types, insideReports: true)
        );
    }

    private sealed class SentenceRow
    {
        [Microsoft.ML.Data.VectorType]
        public string[] Sentences { get; set; } = [];
    }

    /// <summary>Drafts by every method for the held-out studies (their first frontal image) scored against their reports,
    /// beside the constant most-frequent-report baseline.</summary>
    public static PriorReportDraftComparison Drafts(PriorNetwork network, string index, bool includePrototype)
    {
        var ml = new MLContext(seed: 1);
        IDataView Split(params string[] splits) => ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index, Splits = splits });
        return ml.PriorEvaluation()
            .EvaluateReportDraftMethods(
                network,
                Split("validate", "test"),
                Split("train"),
                Enum.GetValues<Generation.ReportDraftMethod>()
                    .Where(m => includePrototype || m != Generation.ReportDraftMethod.Prototype)
                    .ToList()
            );
    }

    /// <summary>The report labeler's F1 per label (labels with at least 5 positives) against the synthetic reports' known labels, all
    /// splits.</summary>
    public static IReadOnlyDictionary<string, double> LabelerF1(string index)
    {
        var studies = Studies(index, ["train", "validate", "test"]);
        var labeler = new Text.ChexpertReportLabeler();
        var predicted = studies.Select(s => labeler.LabelSentences(s.Sentences)).ToList();
        return LabelAgreement.F1PerLabel(studies.Select(s => s.Labels).ToList(), predicted);
    }
}
