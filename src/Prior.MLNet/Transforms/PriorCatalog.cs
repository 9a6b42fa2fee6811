using Microsoft.ML;
using Microsoft.ML.Runtime;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>
/// The catalog door to PRIOR: <c>mlContext.Transforms.PriorPretrain(…)</c>, <c>.PriorImageEmbedding(…)</c>,
/// <c>.PriorReportEmbedding(…)</c> and <c>.PriorZeroShotClassification(…)</c>.
/// </summary>
public static class PriorCatalog
{
    /// <summary>Pretrains PRIOR on studies (by default LoadMimicCxr's <c>ImagePaths</c> and <c>Sentences</c> columns).</summary>
    public static PriorPretrainEstimator PriorPretrain(this TransformsCatalog catalog, PriorPretrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorPretrainEstimator(GetContext(catalog), options);
    }

    /// <summary>Pretrains PRIOR with a preset and default columns.</summary>
    public static PriorPretrainEstimator PriorPretrain(
        this TransformsCatalog catalog,
        PriorPreset preset = Defaults.Preset,
        ComputeDevice device = ComputeDevice.Auto,
        string? checkpointDirectory = null
    ) =>
        catalog.PriorPretrain(
            new PriorPretrainOptions
            {
                Preset = preset,
                Device = device,
                CheckpointDirectory = checkpointDirectory,
            }
        );

    /// <summary>Adds the normalised image embedding of <paramref name="inputColumnName"/> (image paths, MLImage, or preprocessed
    /// pixels).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="network">A trained network (<see cref="PriorNetwork.Load"/> or a fitted PriorPretrain's).</param>
    /// <param name="outputColumnName">The embedding column. Default "ImageEmbedding".</param>
    /// <param name="inputColumnName">The image column. Default "ImagePath".</param>
    /// <param name="localOutputColumnName">When set, also the normalised local patch embeddings [patches × D] under this name.</param>
    /// <param name="batchSize">Rows per network call. Default 32.</param>
    /// <param name="unreadableImages">Fail on an unreadable image (default), or skip it: NaN outputs and the reason in <paramref
    /// name="errorColumnName"/>.</param>
    /// <param name="errorColumnName">With <see cref="UnreadableImageHandling.Skip"/>, the text column that holds each row's reason (empty
    /// when readable). Default "ImageError".</param>
    /// <param name="imageMean">Normalisation mean of pixels in [0, 1]; null (default) for the network's <see
    /// cref="Modeling.PriorInferenceSettings.ImageMean"/>.</param>
    /// <param name="imageStd">Normalisation standard deviation; null (default) for the network's <see
    /// cref="Modeling.PriorInferenceSettings.ImageStd"/>.</param>
    public static PriorTransformerEstimator<PriorImageEmbeddingTransformer> PriorImageEmbedding(
        this TransformsCatalog catalog,
        PriorNetwork network,
        string outputColumnName = Defaults.ImageEmbeddingColumnName,
        string inputColumnName = Defaults.ImagePathColumnName,
        string? localOutputColumnName = null,
        int batchSize = Defaults.InferenceBatchSize,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        string errorColumnName = Defaults.ImageErrorColumnName,
        float? imageMean = null,
        float? imageStd = null
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckHandling(unreadableImages, errorColumnName);
        var (mean, std) = Normalisation(imageMean ?? network.Inference.ImageMean, imageStd ?? network.Inference.ImageStd);
        var mapper = new ImageEmbeddingMapper(
            network,
            inputColumnName,
            outputColumnName,
            localOutputColumnName,
            batchSize,
            mean,
            std,
            unreadableImages,
            errorColumnName
        );
        return new PriorTransformerEstimator<PriorImageEmbeddingTransformer>(new PriorImageEmbeddingTransformer(network, mapper));
    }

    /// <summary>Adds the normalised report embedding of <paramref name="inputColumnName"/> (report text, or a text vector of
    /// sentences).</summary>
    public static PriorTransformerEstimator<PriorReportEmbeddingTransformer> PriorReportEmbedding(
        this TransformsCatalog catalog,
        PriorNetwork network,
        string outputColumnName = Defaults.ReportEmbeddingColumnName,
        string inputColumnName = Defaults.SentencesColumnName,
        int batchSize = Defaults.InferenceBatchSize
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return new PriorTransformerEstimator<PriorReportEmbeddingTransformer>(
            new PriorReportEmbeddingTransformer(network, new ReportEmbeddingMapper(network, inputColumnName, outputColumnName, batchSize))
        );
    }

    /// <summary>
    /// Adds PRIOR's zero-shot <c>Score</c> (one slot per class) and a key-typed <c>PredictedLabel</c> (key k is the
    /// k-th class of <paramref name="classPrompts"/>) for the images of <paramref name="inputColumnName"/>. An
    /// unreadable image fails the cursor naming its row and file, or with <see cref="UnreadableImageHandling.Skip"/>
    /// gets NaN scores, the missing key and its reason in <paramref name="errorColumnName"/>.
    /// </summary>
    public static PriorTransformerEstimator<PriorZeroShotTransformer> PriorZeroShotClassification(
        this TransformsCatalog catalog,
        PriorNetwork network,
        IReadOnlyDictionary<string, IReadOnlyList<string>> classPrompts,
        string inputColumnName = Defaults.ImagePathColumnName,
        string scoreColumnName = Defaults.ScoreColumnName,
        string predictedLabelColumnName = Defaults.PredictedLabelColumnName,
        int batchSize = Defaults.InferenceBatchSize,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        string errorColumnName = Defaults.ImageErrorColumnName,
        float? imageMean = null,
        float? imageStd = null
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckHandling(unreadableImages, errorColumnName);
        var (mean, std) = Normalisation(imageMean ?? network.Inference.ZeroShotImageMean, imageStd ?? network.Inference.ZeroShotImageStd);
        var classifier = new ZeroShotClassifier(network.Model, network.Tokenizer, network.UsePrototypes, classPrompts, mean, std);
        var mapper = new ZeroShotMapper(
            network,
            classifier,
            inputColumnName,
            scoreColumnName,
            predictedLabelColumnName,
            batchSize,
            unreadableImages,
            errorColumnName
        );
        return new PriorTransformerEstimator<PriorZeroShotTransformer>(new PriorZeroShotTransformer(network, mapper, classifier.Classes));
    }

    private static (float Mean, float Std) Normalisation(float mean, float std)
    {
        if (!float.IsFinite(mean))
            throw new ArgumentOutOfRangeException("imageMean", mean, "must be finite");
        if (!(std > 0) || !float.IsFinite(std))
            throw new ArgumentOutOfRangeException("imageStd", std, "must be positive and finite");
        return (mean, std);
    }

    private static void CheckHandling(UnreadableImageHandling handling, string errorColumnName)
    {
        if (!Enum.IsDefined(handling))
            throw new ArgumentOutOfRangeException(nameof(handling), handling, "unknown handling of unreadable images");
        if (handling == UnreadableImageHandling.Skip)
            ArgumentException.ThrowIfNullOrWhiteSpace(errorColumnName);
    }

    /// <summary>
    /// PRIOR's evaluations (zero-shot 5x200, retrieval P@K, …) for <paramref name="mlContext"/>, as
    /// <c>mlContext.MulticlassClassification</c> holds ML.NET's: <c>mlContext.PriorEvaluation().EvaluateZeroShot(network, images)</c>.
    /// </summary>
    public static PriorEvaluationCatalog PriorEvaluation(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return new PriorEvaluationCatalog(mlContext);
    }

    // The MLContext's environment (seed, log, cancellation), which TransformsCatalog keeps internal.
    private static IHostEnvironment GetContext(TransformsCatalog catalog) => Persistence.MLNetInternals.Environment(catalog);

    /// <summary>
    /// Adds a report drafted from each image of <paramref name="inputColumnName"/> (text under
    /// <paramref name="outputColumnName"/>, "FINDINGS: …" and "IMPRESSION: …") from the network's
    /// <see cref="PriorNetwork.SentenceMemory"/>, by <paramref name="method"/>: by default the training report nearest
    /// the image in the joint space (<see cref="Generation.ReportDraftMethod.NearestReport"/>); or the training sentences
    /// most similar to the image; or stage 3's sentence prototype generation. docs/drafting.md compares them.
    /// </summary>
    /// <exception cref="ArgumentException">The network has no sentence memory, or none with the embeddings the method needs.</exception>
    public static PriorTransformerEstimator<PriorReportDraftTransformer> PriorReportDraft(
        this TransformsCatalog catalog,
        PriorNetwork network,
        string outputColumnName = "Draft",
        string inputColumnName = Defaults.ImagePathColumnName,
        int batchSize = Defaults.InferenceBatchSize,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        string errorColumnName = Defaults.ImageErrorColumnName,
        Generation.ReportDraftMethod method = Defaults.ReportDraftMethod
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckHandling(unreadableImages, errorColumnName);
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "unknown drafting method");
        if (network.DraftingProblem(method) is { } problem)
            throw new ArgumentException(problem, nameof(network));
        var (mean, std) = Normalisation(network.Inference.ImageMean, network.Inference.ImageStd);
        return new PriorTransformerEstimator<PriorReportDraftTransformer>(
            new PriorReportDraftTransformer(
                network,
                new ReportDraftMapper(
                    network,
                    inputColumnName,
                    outputColumnName,
                    batchSize,
                    mean,
                    std,
                    unreadableImages,
                    errorColumnName,
                    method
                )
            )
        );
    }

    /// <summary>
    /// Labels reports with the 14 CheXpert observations by rule (<see cref="Text.ChexpertReportLabeler"/>):
    /// <paramref name="outputColumnName"/> gets 14 floats in <see cref="Data.ChexpertLabels.Names"/> order, 1 positive,
    /// 0 negative, −1 uncertain, NaN not mentioned. <paramref name="inputColumnName"/> holds a report's text or a text
    /// vector of its sentences. <paramref name="conventions"/>: CheXpert's published rules (the default, comparable with
    /// papers that use the CheXpert labeler) or this library's extended ones (docs/drafting.md).
    /// </summary>
    public static ChexpertLabelerEstimator LabelChexpertObservations(
        this TransformsCatalog catalog,
        string outputColumnName = Defaults.ChexpertLabelsColumnName,
        string inputColumnName = "Report",
        Text.ReportLabelConventions conventions = Text.ReportLabelConventions.Chexpert
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ChexpertLabelerEstimator(outputColumnName, inputColumnName, conventions);
    }
}
