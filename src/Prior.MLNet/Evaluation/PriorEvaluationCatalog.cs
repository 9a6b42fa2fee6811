using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// The paper's evaluations as library calls, one protocol each, reached by <c>mlContext.PriorEvaluation()</c> as ML.NET's
/// own evaluators are reached by <c>mlContext.MulticlassClassification.Evaluate</c>: the demo, the <c>prior</c> commands
/// and a user's program score through the same code, so their figures agree.
/// </summary>
public sealed partial class PriorEvaluationCatalog
{
    [System.Text.RegularExpressions.GeneratedRegex(@"(?m)^(FINDINGS|IMPRESSION):")]
    private static partial System.Text.RegularExpressions.Regex DraftHeader();

    private readonly MLContext _mlContext;

    internal PriorEvaluationCatalog(MLContext mlContext) => _mlContext = mlContext;

    /// <summary>
    /// Zero-shot classification scored by the CheXpert 5x200 protocol (<see cref="PriorZeroShotMetrics.LabelPolicy"/>):
    /// each image of <paramref name="images"/> (rows as <c>mlContext.Data.LoadCheXpert</c> gives them, e.g. the authors'
    /// or a generated 5x200 subset) is classified among the classes of <paramref name="classPrompts"/> (CheXpert label
    /// names; by default the five competition labels with the network's own prompt set), and its class is the one it is
    /// positive (1.0) for. Images positive for none or several classes are not scored and are named in the result.
    /// </summary>
    /// <param name="network">The pretrained network.</param>
    /// <param name="images">Rows with an image path and CheXpert's 14 labels.</param>
    /// <param name="classPrompts">Class name → prompts (see <see cref="ZeroShotPrompts"/>); null for the network's default.</param>
    /// <param name="imagePathColumnName">The text column of image paths.</param>
    /// <param name="labelsColumnName">The vector column of CheXpert's 14 labels in <see cref="ChexpertLabels.Names"/> order.</param>
    /// <param name="unreadableImages">Whether an unreadable image fails the evaluation (default, naming it) or is left out
    /// and named.</param>
    /// <param name="batchSize">Images scored at once.</param>
    /// <exception cref="ArgumentException">A column is missing or of the wrong type, or a class is not a CheXpert label.</exception>
    /// <exception cref="InvalidDataException">No image is positive for exactly one class, or none could be read.</exception>
    public PriorZeroShotMetrics EvaluateZeroShot(
        PriorNetwork network,
        IDataView images,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? classPrompts = null,
        string imagePathColumnName = Defaults.ImagePathColumnName,
        string labelsColumnName = CheXpertLabelsColumn,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        int batchSize = Defaults.InferenceBatchSize
    ) => EvaluateZeroShotCore(network, images, classPrompts, imagePathColumnName, labelsColumnName, unreadableImages, batchSize, null);

    /// <summary>
    /// The zero-shot evaluation (<c>EvaluateZeroShot</c>)
    /// with the prompts' route through the sentence bank chosen (null: as the network was trained), for ablations.
    /// </summary>
    internal PriorZeroShotMetrics EvaluateZeroShotCore(
        PriorNetwork network,
        IDataView images,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? classPrompts,
        string imagePathColumnName,
        string labelsColumnName,
        UnreadableImageHandling unreadableImages,
        int batchSize,
        bool? usePrototypes
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!Enum.IsDefined(unreadableImages))
            throw new ArgumentOutOfRangeException(nameof(unreadableImages), unreadableImages, "unknown handling of unreadable images");
        var prompts = classPrompts ?? ZeroShotPrompts.For(network.PromptSet, ChexpertLabels.CompetitionFive);
        var classes = prompts.Keys.ToList();
        var indexes = classes.Select(c => LabelIndex(c, nameof(classPrompts))).ToList();

        // The 5x200 protocol: an image's class is the one class it is positive (1.0) for; an image positive for none or
        // several has no single answer and is not scored (named).
        var notScored = new List<SkippedItem>();
        var paths = new List<string>();
        var truth = new List<int>();
        foreach (var (path, labels) in ReadLabelledImages(images, imagePathColumnName, labelsColumnName))
        {
            var positive = Enumerable.Range(0, classes.Count).Where(k => labels[indexes[k]] == 1f).ToList();
            if (positive.Count == 1)
            {
                paths.Add(path);
                truth.Add(positive[0]);
            }
            else
                notScored.Add(
                    new SkippedItem(
                        SkipReason.NotOneClass,
                        path,
                        null,
                        $"positive for {positive.Count} of the {classes.Count} classes, not one"
                    )
                );
        }
        if (paths.Count == 0)
            throw new InvalidDataException(
                $"no image of the subset is positive for exactly one of {string.Join(", ", classes)}, so nothing can be scored"
                    + (notScored.Count > 0 ? $" ({notScored.Count} images positive for none or several)" : "")
            );

        using var classifier = new ZeroShotClassifier(
            network.Model,
            network.Tokenizer,
            usePrototypes ?? network.UsePrototypes,
            prompts,
            network.Inference.ZeroShotImageMean,
            network.Inference.ZeroShotImageStd
        );
        var scores = new List<float[]>();
        var scoredTruth = new List<int>();
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            var batch = paths.Skip(start).Take(batchSize).Select(p => (object)p).ToList();
            var (pixels, errors) = ImageBatch.Decode(batch, classifier.Preprocessor, unreadableImages, start);
            var readable = Enumerable.Range(0, batch.Count).Where(i => pixels[i] is not null).ToList();
            foreach (var i in Enumerable.Range(0, batch.Count).Where(i => pixels[i] is null))
            {
                // The decoder's message starts with the path, which the item already holds.
                var path = paths[start + i];
                var detail = errors[i] ?? "unreadable";
                if (detail.StartsWith(path + ": ", StringComparison.Ordinal))
                    detail = detail[(path.Length + 2)..];
                notScored.Add(new SkippedItem(SkipReason.UnreadableImage, path, null, detail));
            }
            if (readable.Count == 0)
                continue;
            scores.AddRange(classifier.ScorePixels(readable.Select(i => pixels[i]!).ToList()));
            scoredTruth.AddRange(readable.Select(i => truth[start + i]));
        }
        if (scores.Count == 0)
            throw new InvalidDataException($"none of the {paths.Count} images to score could be read (the first: {notScored[^1]})");
        var result = ZeroShotEvaluation.Evaluate(_mlContext, scoredTruth, scores, classes);
        return new PriorZeroShotMetrics(result.Metrics, result.MacroF1, result.Kappa, classes, notScored);
    }

    /// <summary>
    /// Image↔report retrieval Precision@1 and @5 both ways from two embedding columns of <paramref name="data"/> (e.g.
    /// <c>PriorImageEmbedding</c> and <c>PriorReportEmbedding</c> applied to held-out studies): row i's image and row i's
    /// report are the one relevant pair; every other row's is a distractor. Embeddings are compared by cosine
    /// similarity (normalised here, so unnormalised vectors are fine). A row whose image or report embedding is missing
    /// (NaN, as an unreadable image gets when skipped) is left out.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing, not a float vector of known size, or the two sizes differ;
    /// fewer than two rows remain.</exception>
    public PriorRetrievalMetrics EvaluateRetrieval(
        IDataView data,
        string imageEmbeddingColumnName = Defaults.ImageEmbeddingColumnName,
        string reportEmbeddingColumnName = Defaults.ReportEmbeddingColumnName
    )
    {
        ArgumentNullException.ThrowIfNull(data);
        int size = EmbeddingSize(data.Schema, imageEmbeddingColumnName);
        if (EmbeddingSize(data.Schema, reportEmbeddingColumnName) != size)
            throw new ArgumentException(
                $"column '{imageEmbeddingColumnName}' has {size} dimensions but '{reportEmbeddingColumnName}' has "
                    + $"{EmbeddingSize(data.Schema, reportEmbeddingColumnName)}: the embeddings must come from the same network",
                nameof(reportEmbeddingColumnName)
            );
        var imageRows = new List<float>();
        var reportRows = new List<float>();
        var columns = new[] { data.Schema[imageEmbeddingColumnName], data.Schema[reportEmbeddingColumnName] };
        using (var cursor = data.GetRowCursor(columns))
        {
            var image = cursor.GetGetter<VBuffer<float>>(columns[0]);
            var report = cursor.GetGetter<VBuffer<float>>(columns[1]);
            VBuffer<float> a = default,
                b = default;
            while (cursor.MoveNext())
            {
                image(ref a);
                report(ref b);
                var x = a.DenseValues().ToArray();
                var y = b.DenseValues().ToArray();
                if (x.Any(float.IsNaN) || y.Any(float.IsNaN))
                    continue;
                imageRows.AddRange(x);
                reportRows.AddRange(y);
            }
        }
        int n = imageRows.Count / size;
        if (n < 2)
            throw new ArgumentException($"retrieval needs at least two rows with both embeddings; {n} found", nameof(data));
        using var scope = NewDisposeScope();
        var images = nn.functional.normalize(tensor(imageRows.ToArray(), [n, size]), dim: 1);
        var reports = nn.functional.normalize(tensor(reportRows.ToArray(), [n, size]), dim: 1);
        return Retrieval.Score(images, reports, Retrieval.SimilarityBlock);
    }

    /// <summary>
    /// The linear probe: frozen image embeddings of <paramref name="network"/> → ML.NET's L-BFGS logistic regression per
    /// label, trained on each fraction of <paramref name="train"/>'s images (the same seeded choice for every label) and
    /// scored on <paramref name="test"/> by the area under the ROC curve. Rows are as <c>mlContext.Data.LoadCheXpert</c>
    /// gives them; the label policy is the loader's (the paper's protocol: train.csv trains, valid.csv tests, blank and
    /// uncertain labels negative: <c>BlankLabel = 0</c>, <c>UncertainLabels = UncertaintyPolicy.Zeros</c>). A label NaN
    /// for an image leaves that image out of that label's probe; a label without both classes on a side is named, not scored.
    /// </summary>
    /// <param name="network">The pretrained network (its image tower is not changed).</param>
    /// <param name="train">The images the probes learn from.</param>
    /// <param name="test">The images the probes are scored on.</param>
    /// <param name="fractions">Shares of <paramref name="train"/> to learn from, each in (0, 1]; default 1 %, 10 % and 100 %.</param>
    /// <param name="labels">CheXpert label names to probe; default the five competition labels.</param>
    /// <param name="imagePathColumnName">The text column of image paths (both views).</param>
    /// <param name="labelsColumnName">The vector column of CheXpert's 14 labels (both views).</param>
    /// <param name="unreadableImages">Whether an unreadable image fails the evaluation (default, naming it) or is left out.</param>
    /// <param name="seed">Chooses each fraction's images.</param>
    public IReadOnlyList<PriorLinearProbeMetrics> EvaluateLinearProbe(
        PriorNetwork network,
        IDataView train,
        IDataView test,
        IReadOnlyList<double>? fractions = null,
        IReadOnlyList<string>? labels = null,
        string imagePathColumnName = Defaults.ImagePathColumnName,
        string labelsColumnName = CheXpertLabelsColumn,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        long seed = 1
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        labels ??= ChexpertLabels.CompetitionFive;
        return LinearProbe.Run(
            _mlContext,
            network,
            Examples(train, labels, imagePathColumnName, labelsColumnName),
            Examples(test, labels, imagePathColumnName, labelsColumnName),
            labels,
            fractions ?? [0.01, 0.1, 1.0],
            seed,
            unreadableImages,
            trainName: "the training images",
            testName: "the test images"
        );
    }

    /// <summary>
    /// Pretrained against random weights when labels are few (the paper's fine-tuning comparison): per seed, a share
    /// <paramref name="fraction"/> of <paramref name="train"/>'s images is chosen, and a multi-label classifier is
    /// fine-tuned on it twice, from <paramref name="network"/>'s image tower and from random weights of the same
    /// architecture, with the same images, head start and batch order; both are scored on <paramref name="test"/> by
    /// the area under the ROC curve per label. Rows and label policy are as in <see cref="EvaluateLinearProbe"/>. Each
    /// seed's line goes to the MLContext's log (channel <c>PriorEvaluation</c>), each epoch's to <c>PriorDownstream</c>;
    /// <c>CancelExecution()</c> stops before the next step.
    /// </summary>
    /// <param name="network">The pretrained network (its weights are copied, not changed).</param>
    /// <param name="train">The images to fine-tune on.</param>
    /// <param name="test">The images to score on.</param>
    /// <param name="fraction">The share of <paramref name="train"/> each seed fine-tunes on, in (0, 1]; default 1 %.</param>
    /// <param name="seeds">The seeds; default 1, 2 and 3.</param>
    /// <param name="training">Epochs, batch size, learning rates, freezing and device (its seed is each of
    /// <paramref name="seeds"/> in turn); default <see cref="Trainers.FineTuningOptions"/>' defaults.</param>
    /// <param name="labels">CheXpert label names to score; default the five competition labels.</param>
    /// <param name="imagePathColumnName">The text column of image paths (both views).</param>
    /// <param name="labelsColumnName">The vector column of CheXpert's 14 labels (both views).</param>
    /// <exception cref="ArgumentException">A column is missing or of the wrong type, or a label is not a CheXpert label.</exception>
    /// <exception cref="InvalidDataException">No label can be scored for a seed.</exception>
    public PriorFineTuningMetrics EvaluateFineTuning(
        PriorNetwork network,
        IDataView train,
        IDataView test,
        double fraction = 0.01,
        IReadOnlyList<long>? seeds = null,
        Trainers.FineTuningOptions? training = null,
        IReadOnlyList<string>? labels = null,
        string imagePathColumnName = Defaults.ImagePathColumnName,
        string labelsColumnName = CheXpertLabelsColumn
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (fraction is not (> 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");
        seeds ??= [1, 2, 3];
        if (seeds.Count == 0)
            throw new ArgumentException("at least one seed is needed", nameof(seeds));
        training ??= new Trainers.FineTuningOptions();
        training.Validate();
        labels ??= ChexpertLabels.CompetitionFive;
        var trainExamples = Examples(train, labels, imagePathColumnName, labelsColumnName);
        var testExamples = Examples(test, labels, imagePathColumnName, labelsColumnName);
        using var channel = ((Microsoft.ML.Runtime.IChannelProvider)_mlContext).Start("PriorEvaluation");
        using var epochs = ((Microsoft.ML.Runtime.IChannelProvider)_mlContext).Start("PriorDownstream");
        var (mean, std) = (network.Inference.ImageMean, network.Inference.ImageStd);
        var trainingImages = new List<int>();
        var pretrained = new List<IReadOnlyDictionary<string, double>>();
        var random = new List<IReadOnlyDictionary<string, double>>();
        var notScored = new List<string>();
        foreach (var seed in seeds)
        {
            var chosen = LabelFraction.Choose(trainExamples.Count, fraction, seed).Select(i => trainExamples[i]).ToList();
            var unscorable = LinearProbe.Unscorable(
                chosen,
                testExamples,
                labels,
                $"the {chosen.Count} training images of seed {seed}",
                "the test images"
            );
            foreach (var (label, reason) in unscorable)
            {
                notScored.Add($"seed {seed}: {label}: {reason}");
                channel.Info(Microsoft.ML.Runtime.MessageSensitivity.None, $"seed {seed}: {label} not scored: {reason}");
            }
            if (unscorable.Count == labels.Count)
                throw new InvalidDataException(
                    $"seed {seed}: no label can be scored ({string.Join("; ", unscorable.Select(kv => $"{kv.Key}: {kv.Value}"))})."
                );
            var options = training with { Seed = seed, StopRequested = () => Transforms.Persistence.MLNetInternals.IsCanceled(_mlContext) };
            void Log(string line) => epochs.Info(Microsoft.ML.Runtime.MessageSensitivity.None, line);
            // Both arms alike but for where the image tower starts: the network's weights, or none (random).
            Downstream.ImageClassificationFineTuning.Result Arm(Modeling.PriorModel? start) =>
                Downstream.ImageClassificationFineTuning.Run(
                    start,
                    network.Model.Options,
                    chosen,
                    testExamples,
                    labels,
                    options,
                    mean,
                    std,
                    Log
                );
            var withPrior = Arm(network.Model);
            var fromRandom = Arm(null);
            trainingImages.Add(chosen.Count);
            pretrained.Add(withPrior.Auc);
            random.Add(fromRandom.Auc);
            channel.Info(
                Microsoft.ML.Runtime.MessageSensitivity.None,
                $"seed {seed}: {chosen.Count} training images; mean AUC from PRIOR {withPrior.MeanAuc:0.000} "
                    + $"({string.Join(", ", withPrior.Auc.Select(kv => $"{kv.Key} {kv.Value:0.000}"))}), from random weights "
                    + $"{fromRandom.MeanAuc:0.000}"
            );
        }
        return new PriorFineTuningMetrics(fraction, [.. seeds], trainingImages, pretrained, random, notScored);
    }

    /// <summary>
    /// Scores drafted reports against their references, row by row: BLEU-4, ROUGE-L and clinical efficacy by the CheXpert
    /// report labeler. The reference is the sentences of <paramref name="referenceColumnName"/> then those of
    /// <paramref name="referenceImpressionColumnName"/> (by default MIMIC-CXR's FINDINGS then IMPRESSION, as the loader
    /// gives them and as drafts are written). Each column is report text (as <c>PriorReportDraft</c> writes it with its
    /// FINDINGS and IMPRESSION headers, or plain sentences) or a text vector of sentences.
    /// </summary>
    /// <param name="data">Rows of a draft and its reference.</param>
    /// <param name="draftColumnName">The drafted report.</param>
    /// <param name="referenceColumnName">The real report, or its first section.</param>
    /// <param name="referenceImpressionColumnName">The real report's second section; null when the first column holds it all.</param>
    /// <exception cref="ArgumentException">A column is missing or not text; there is no row.</exception>
    public PriorReportDraftMetrics EvaluateReportDrafts(
        IDataView data,
        string draftColumnName = "Draft",
        string referenceColumnName = Defaults.FindingsColumnName,
        string? referenceImpressionColumnName = Defaults.ImpressionColumnName
    )
    {
        ArgumentNullException.ThrowIfNull(data);
        var drafts = ReadSentences(data, draftColumnName).ToList();
        var references = ReadSentences(data, referenceColumnName).ToList();
        if (referenceImpressionColumnName is not null)
            references = references
                .Zip(ReadSentences(data, referenceImpressionColumnName), (f, i) => (IReadOnlyList<string>)[.. f, .. i])
                .ToList();
        if (drafts.Count == 0)
            throw new ArgumentException("there is no draft to score", nameof(data));
        var scores = ReportDraftEvaluation.ScoreSentences(new Text.ChexpertReportLabeler(), drafts, references);
        return new PriorReportDraftMetrics(scores, drafts.Count);
    }

    /// <summary>
    /// Drafts a report for each held-out row's image by each of <paramref name="methods"/> and scores every method
    /// against the rows' reports as <see cref="EvaluateReportDrafts"/> does, beside the trivial baseline: one constant
    /// report for every image, the most frequent report of <paramref name="trainingReports"/>. Reports are the sentences
    /// of FINDINGS then IMPRESSION (text or text vectors, as <c>mlContext.Data.LoadMimicCxr</c> gives them).
    /// </summary>
    /// <param name="network">A network with a sentence memory (as <c>PriorPretrain</c> builds).</param>
    /// <param name="heldOut">The rows to draft for: an image path and the real report's two sections.</param>
    /// <param name="trainingReports">Reports the constant baseline is chosen from (the training split's), with the same
    /// section columns.</param>
    /// <param name="methods">The methods to compare; default every method the network's memory allows.</param>
    /// <param name="imagePathColumnName">The text column of image paths in <paramref name="heldOut"/>.</param>
    /// <param name="findingsColumnName">The FINDINGS column of both views.</param>
    /// <param name="impressionColumnName">The IMPRESSION column of both views.</param>
    /// <exception cref="InvalidOperationException">The network cannot draft by a method (no sentence memory, or no trained
    /// prototype decoder), naming why.</exception>
    /// <exception cref="ArgumentException">A column is missing or not text; there is no held-out row or no training report.</exception>
    /// <exception cref="InvalidDataException">An image cannot be read, naming it.</exception>
    public PriorReportDraftComparison EvaluateReportDraftMethods(
        PriorNetwork network,
        IDataView heldOut,
        IDataView trainingReports,
        IReadOnlyList<Generation.ReportDraftMethod>? methods = null,
        string imagePathColumnName = Defaults.ImagePathColumnName,
        string findingsColumnName = Defaults.FindingsColumnName,
        string impressionColumnName = Defaults.ImpressionColumnName
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(heldOut);
        ArgumentNullException.ThrowIfNull(trainingReports);
        methods ??= Enum.GetValues<Generation.ReportDraftMethod>().Where(m => network.DraftingProblem(m) is null).ToList();
        foreach (var method in methods)
            if (network.DraftingProblem(method) is { } problem)
                throw new InvalidOperationException(problem);
        var paths = ReadTexts(heldOut, imagePathColumnName).ToList();
        var cases = paths
            .Zip(ReadSentences(heldOut, findingsColumnName), ReadSentences(heldOut, impressionColumnName))
            .Select(c => new ReportDraftEvaluation.Case(c.First, c.Second, c.Third))
            .ToList();
        var training = ReadSentences(trainingReports, findingsColumnName)
            .Zip(ReadSentences(trainingReports, impressionColumnName), (f, i) => (f, i))
            .ToList();
        if (cases.Count == 0)
            throw new ArgumentException("there is no held-out row to draft for", nameof(heldOut));
        if (training.Count == 0)
            throw new ArgumentException("there is no training report to choose the constant baseline from", nameof(trainingReports));
        return new PriorReportDraftComparison(ReportDraftEvaluation.Evaluate(network, cases, training, methods));
    }

    // A text column's values, row by row.
    private static IEnumerable<string> ReadTexts(IDataView data, string name)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException(
                $"the data has no column '{name}' (columns: {string.Join(", ", data.Schema.Select(c => c.Name))})"
            );
        if (column.Type is not TextDataViewType)
            throw new ArgumentException($"column '{name}' must hold text (image paths), not {column.Type}");
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            yield return value.ToString();
        }
    }

    /// <summary>
    /// What the sentence prototypes of <paramref name="network"/>'s memory bank mean (the paper's prototype analysis): each
    /// sentence of <paramref name="reports"/> with a type in <paramref name="sentenceTypes"/> is assigned to its noise-free
    /// prototype, encoded inside its report (as training and report embedding see it; the text tower is contextual) or
    /// alone, and the assignment is scored against the types by purity and NMI beside a shuffled assignment. The most used
    /// prototypes are listed with their nearest sentences from the network's sentence memory (or, without one, from the
    /// reports). Sentences without a type are left out and counted, as are typed ones the text tower cannot place.
    /// </summary>
    /// <param name="network">A network whose stage 2 trained its prototypes.</param>
    /// <param name="reports">Rows of reports: report text (FINDINGS/IMPRESSION headers or none) or a text vector of sentences.</param>
    /// <param name="sentenceTypes">A type per sentence text (e.g. finding, certainty and side as an annotator gives them).</param>
    /// <param name="sentencesColumnName">The column of <paramref name="reports"/> holding each report.</param>
    /// <param name="insideReports">Encode each sentence inside its report (default) or alone.</param>
    /// <param name="top">How many of the most used prototypes to list.</param>
    /// <param name="nearest">How many nearest sentences to list per prototype.</param>
    /// <param name="seed">Seeds the shuffled baseline.</param>
    /// <exception cref="ArgumentException">The column is missing or not text; no sentence has a type.</exception>
    public PriorPrototypeMetrics EvaluatePrototypes(
        PriorNetwork network,
        IDataView reports,
        IReadOnlyDictionary<string, string> sentenceTypes,
        string sentencesColumnName = Defaults.SentencesColumnName,
        bool insideReports = true,
        int top = 10,
        int nearest = 3,
        int seed = 1
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(sentenceTypes);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nearest, 1);
        var read = ReadSentences(reports, sentencesColumnName).Where(r => r.Count > 0).ToList();
        var sentences = read.SelectMany(r => r).ToList();
        var typedSentences = sentences.Where(sentenceTypes.ContainsKey).ToList();
        int typed = typedSentences.Count;
        if (typed == 0)
            throw new ArgumentException(
                $"none of the {sentences.Count} sentences of column '{sentencesColumnName}' has a type in sentenceTypes",
                nameof(sentenceTypes)
            );
        var references = network.SentenceMemory is { Sentences.Count: > 0 } memory
            ? memory.Sentences.Select(s => s.Text).ToList()
            : sentences.Distinct(StringComparer.Ordinal).ToList();
        var result = insideReports
            ? PrototypeAnalysis.AnalyzeInReports(
                network.Model,
                network.Tokenizer,
                read,
                t => sentenceTypes.TryGetValue(t, out var type) ? type : null,
                references,
                top,
                nearest,
                seed
            )
            : PrototypeAnalysis.Analyze(
                network.Model,
                network.Tokenizer,
                typedSentences,
                typedSentences.Select(t => sentenceTypes[t]).ToList(),
                references,
                top,
                nearest,
                seed
            );
        return new PriorPrototypeMetrics(result, typed, sentences.Count - typed, insideReports);
    }

    // A report column's sentences per row: a text vector as it is, a text through its FINDINGS and IMPRESSION sections
    // (findings first, as drafts are written) or, with neither header, its sentences.
    private static IEnumerable<IReadOnlyList<string>> ReadSentences(IDataView data, string name)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException(
                $"the data has no column '{name}' (columns: {string.Join(", ", data.Schema.Select(c => c.Name))})"
            );
        using var cursor = data.GetRowCursor([column]);
        if (column.Type is VectorDataViewType { ItemType: TextDataViewType })
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
            VBuffer<ReadOnlyMemory<char>> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                yield return value.DenseValues().Select(v => v.ToString()).Where(v => v.Length > 0).ToList();
            }
        }
        else if (column.Type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                var text = value.ToString();
                // MIMIC-CXR puts a space before its headers; a draft's "FINDINGS: …" paragraphs start at the line.
                var parsed = Data.Reports.ParsedReport.Parse(text) ?? Data.Reports.ParsedReport.Parse(DraftHeader().Replace(text, " $1:"));
                yield return parsed is not null
                    ? [.. parsed.FindingsSentences, .. parsed.ImpressionSentences]
                    : Data.Reports.SentenceSplitter.Split(text);
            }
        }
        else
            throw new ArgumentException($"column '{name}' must be report text or a text vector of sentences, not {column.Type}");
    }

    // The slot of a CheXpert label in the loader's 14-label vector; any other name is refused, naming the ones there are.
    private static int LabelIndex(string name, string parameterName) =>
        ChexpertLabels.Names.Contains(name)
            ? ChexpertLabels.IndexOf(name)
            : throw new ArgumentException(
                $"'{name}' is not a CheXpert label ({string.Join(", ", ChexpertLabels.Names)}), so no image can be labelled by it",
                parameterName
            );

    // The column LoadCheXpert writes CheXpert's 14 labels to.
    private const string CheXpertLabelsColumn = "Labels";

    private static int EmbeddingSize(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"the data has no column '{name}' (columns: {string.Join(", ", schema.Select(c => c.Name))})");
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType n, Size: > 0 } vector || n != NumberDataViewType.Single)
            throw new ArgumentException($"column '{name}' must be a vector of floats of known size, not {column.Type}");
        return vector.Size;
    }

    // Each row's image path and its values of the named CheXpert labels, in their order.
    private static List<LinearProbe.Example> Examples(
        IDataView view,
        IReadOnlyList<string> labels,
        string imagePathColumnName,
        string labelsColumnName
    )
    {
        var indexes = labels.Select(l => LabelIndex(l, nameof(labels))).ToList();
        return ReadLabelledImages(view, imagePathColumnName, labelsColumnName)
            .Select(r => new LinearProbe.Example(r.Path, indexes.Select(k => r.Labels[k]).ToArray()))
            .ToList();
    }

    private static IEnumerable<(string Path, float[] Labels)> ReadLabelledImages(IDataView images, string pathColumn, string labelsColumn)
    {
        var path = images.Schema.GetColumnOrNull(pathColumn)
            ?? throw new ArgumentException($"the data has no image path column '{pathColumn}'", nameof(images));
        if (path.Type is not TextDataViewType)
            throw new ArgumentException($"column '{pathColumn}' must hold text (image paths), not {path.Type}", nameof(images));
        var labels = images.Schema.GetColumnOrNull(labelsColumn)
            ?? throw new ArgumentException($"the data has no labels column '{labelsColumn}' (CheXpert's 14 labels)", nameof(images));
        if (
            labels.Type is not VectorDataViewType { ItemType: NumberDataViewType item, Size: ChexpertLabels.Count }
            || item != NumberDataViewType.Single
        )
            throw new ArgumentException(
                $"column '{labelsColumn}' must be a vector of {ChexpertLabels.Count} floats (CheXpert's labels), not {labels.Type}",
                nameof(images)
            );
        using var cursor = images.GetRowCursor([path, labels]);
        var getPath = cursor.GetGetter<ReadOnlyMemory<char>>(path);
        var getLabels = cursor.GetGetter<VBuffer<float>>(labels);
        ReadOnlyMemory<char> p = default;
        VBuffer<float> l = default;
        while (cursor.MoveNext())
        {
            getPath(ref p);
            getLabels(ref l);
            yield return (p.ToString(), l.DenseValues().ToArray());
        }
    }
}
