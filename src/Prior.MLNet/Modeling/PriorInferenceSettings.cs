using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Training;

namespace Prior.MLNet.Modeling;

/// <summary>
/// How a trained network is used, saved with it so that every command and transformer applies it without flags:
/// the image normalisation of embeddings and of zero-shot classification, and the default prompt set.
/// <see cref="Default"/> suits models trained here; <see cref="Original"/> is what the official PRIOR weights were
/// evaluated with (selected when they are imported).
/// </summary>
internal sealed record PriorInferenceSettings
{
    /// <summary>Normalisation mean of images for embeddings. Default 0.4755 (PRIOR's MIMIC-CXR pretraining).</summary>
    public float ImageMean { get; init; } = ImagePreprocessor.MimicMean;

    /// <summary>Normalisation standard deviation of images for embeddings. Default 0.3011.</summary>
    public float ImageStd { get; init; } = ImagePreprocessor.MimicStd;

    /// <summary>Normalisation mean for zero-shot classification. Default 0.50627 (PRIOR's CheXpert setting).</summary>
    public float ZeroShotImageMean { get; init; } = ZeroShotClassifier.CheXpertMean;

    /// <summary>Normalisation standard deviation for zero-shot classification. Default 0.28947.</summary>
    public float ZeroShotImageStd { get; init; } = ZeroShotClassifier.CheXpertStd;

    /// <summary>The prompt set zero-shot commands use when none is named. Default <see cref="ZeroShotPromptSet.Ensemble"/>.</summary>
    public ZeroShotPromptSet Prompts { get; init; } = ZeroShotPromptSet.Ensemble;

    /// <summary>For networks trained here.</summary>
    public static PriorInferenceSettings Default { get; } = new();

    /// <summary>
    /// The official weights' downstream setting: CheXpert normalisation (mean 0.50627, std 0.28947) for embeddings
    /// and zero-shot alike, and PRIOR's single prompt per class.
    /// </summary>
    public static PriorInferenceSettings Original { get; } =
        new()
        {
            ImageMean = ZeroShotClassifier.CheXpertMean,
            ImageStd = ZeroShotClassifier.CheXpertStd,
            Prompts = ZeroShotPromptSet.Original,
        };

    /// <summary>Throws naming the first unusable value.</summary>
    public void Validate()
    {
        foreach (var (name, std) in new[] { (nameof(ImageStd), ImageStd), (nameof(ZeroShotImageStd), ZeroShotImageStd) })
            if (!(std > 0) || !float.IsFinite(std))
                throw new ArgumentOutOfRangeException(name, std, "must be positive and finite");
        foreach (var (name, mean) in new[] { (nameof(ImageMean), ImageMean), (nameof(ZeroShotImageMean), ZeroShotImageMean) })
            if (!float.IsFinite(mean))
                throw new ArgumentOutOfRangeException(name, mean, "must be finite");
        if (!Enum.IsDefined(Prompts))
            throw new ArgumentOutOfRangeException(nameof(Prompts), Prompts, "unknown prompt set");
    }
}
