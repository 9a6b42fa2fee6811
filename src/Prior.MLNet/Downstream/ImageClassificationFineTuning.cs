using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Trainers;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Downstream;

/// <summary>
/// Supervised multi-label classification on PRIOR's image tower, the paper's fine-tuning protocol: the tower (from a
/// pretrained network, or from random weights for the baseline) and a linear head trained with binary cross-entropy
/// per label (labels that are NaN are left out of the loss), AdamW, PRIOR's training augmentation; scored with
/// ML.NET's <c>BinaryClassification.EvaluateNonCalibrated</c> (area under the ROC curve per label).
/// </summary>
internal static class ImageClassificationFineTuning
{
    /// <summary>AUC per label on the test images, and what training saw.</summary>
    /// <param name="Auc">Label → area under the ROC curve (labels whose test or training images lack a class are left out).</param>
    /// <param name="TrainingImages">Images trained on.</param>
    /// <param name="CopiedTensors">Tensors copied from the pretrained network (0 for random weights).</param>
    public sealed record Result(IReadOnlyDictionary<string, double> Auc, int TrainingImages, int CopiedTensors)
    {
        /// <summary>Mean AUC over the labels.</summary>
        public double MeanAuc => Auc.Count == 0 ? double.NaN : Auc.Values.Average();
    }

    /// <summary>
    /// Trains on <paramref name="train"/> and scores <paramref name="test"/>. <paramref name="pretrained"/> null trains
    /// the same architecture (<paramref name="model"/>'s sizes) from random weights. Images are read once, up front.
    /// </summary>
    public static Result Run(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<LinearProbe.Example> train,
        IReadOnlyList<LinearProbe.Example> test,
        IReadOnlyList<string> labels,
        FineTuningOptions options,
        float imageMean = ImagePreprocessor.MimicMean,
        float imageStd = ImagePreprocessor.MimicStd,
        Action<string>? log = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0 || test.Count == 0)
            throw new ArgumentException("Fine-tuning needs training and test images.");
        using var classifier = Train(pretrained, model, train, labels, options, imageMean, imageStd, log, out int copied);
        var preprocessor = new ImagePreprocessor(model.ImageSize, imageMean, imageStd);
        var scores = classifier.Classify(
            Decode(preprocessor, test).Select(i => preprocessor.FromGray(i.Gray, i.Width, i.Height, null)).ToList()
        );
        return new Result(Auc(labels, train, test, scores), train.Count, copied);
    }

    /// <summary>Trains a classifier on <paramref name="train"/>; <paramref name="pretrained"/> null starts from random weights.</summary>
    public static DownstreamModel Train(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<LinearProbe.Example> train,
        IReadOnlyList<string> labels,
        FineTuningOptions options,
        float imageMean = ImagePreprocessor.MimicMean,
        float imageStd = ImagePreprocessor.MimicStd,
        Action<string>? log = null
    ) => Train(pretrained, model, train, labels, options, imageMean, imageStd, log, out _);

    private static DownstreamModel Train(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<LinearProbe.Example> train,
        IReadOnlyList<string> labels,
        FineTuningOptions options,
        float imageMean,
        float imageStd,
        Action<string>? log,
        out int copied
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0)
            throw new ArgumentException("Fine-tuning needs training images.");
        var bad = train.FirstOrDefault(e => e.Labels.Length != labels.Count);
        if (bad is not null)
            throw new ArgumentException(
                $"{bad.ImagePath}: {bad.Labels.Length} label values, expected {labels.Count} ({string.Join(", ", labels)})."
            );
        var device = ComputeDevices.Resolve(options.Device);
        var preprocessor = new ImagePreprocessor(model.ImageSize, imageMean, imageStd);
        var trainImages = Decode(preprocessor, train);

        random.manual_seed(options.SeedOrDefault);
        // Construction and the weight copy in one guard; each training step has its own (FineTuningLoop).
        var network = TorchGcGuard.Run(() => new ImageClassifierNetwork(model, labels.Count));
        try
        {
            copied = TorchGcGuard.Run(() => pretrained is null ? 0 : network.LoadImageTower(pretrained));
            TorchGcGuard.Run(() => network.to(device));
            int size = model.ImageSize;
            FineTuningLoop.Train(
                network,
                network.image_encoder,
                network.TowerParameters().ToList(),
                network.head.parameters(),
                train.Count,
                options,
                (batch, augment) =>
                {
                    var pixels = batch
                        .SelectMany(i => preprocessor.FromGray(trainImages[i].Gray, trainImages[i].Width, trainImages[i].Height, augment))
                        .ToArray();
                    var targets = tensor(batch.SelectMany(i => train[i].Labels).ToArray(), [batch.Count, labels.Count]).to(device);
                    var known = targets.isnan().logical_not();
                    var logits = network.call(tensor(pixels, [batch.Count, 1, size, size]).to(device));
                    return nn.functional.binary_cross_entropy_with_logits(logits[known], targets[known]);
                },
                log,
                "fine-tune"
            );
            return new DownstreamModel(DownstreamTask.Classification, model, network, imageMean, imageStd, labels);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    // Every image's gray pixels, read once (the whole fine-tuning set is small).
    private static (byte[] Gray, int Width, int Height)[] Decode(
        ImagePreprocessor preprocessor,
        IReadOnlyList<LinearProbe.Example> examples
    )
    {
        var images = new (byte[], int, int)[examples.Count];
        Parallel.For(0, examples.Count, i =>
            images[i] = Data.Images.GrayscaleImage.Read(examples[i].ImagePath, ImagePreprocessor.DecodeOversampling * preprocessor.Size)
        );
        return images;
    }

    private sealed class ScoreRow
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; } // the evaluator asks for it; AUC uses Score only
    }

    private static Dictionary<string, double> Auc(
        IReadOnlyList<string> labels,
        IReadOnlyList<LinearProbe.Example> train,
        IReadOnlyList<LinearProbe.Example> test,
        float[][] scores
    )
    {
        var ml = new MLContext(seed: 1);
        var auc = new Dictionary<string, double>();
        for (int k = 0; k < labels.Count; k++)
        {
            var rows = Enumerable
                .Range(0, test.Count)
                .Where(i => !float.IsNaN(test[i].Labels[k]))
                .Select(i => new ScoreRow
                {
                    Label = test[i].Labels[k] > 0.5f,
                    Score = scores[i][k],
                    PredictedLabel = scores[i][k] > 0.5f,
                })
                .ToList();
            bool trainedOnBoth = train.Where(e => !float.IsNaN(e.Labels[k])).Select(e => e.Labels[k] > 0.5f).Distinct().Count() == 2;
            if (!trainedOnBoth || rows.Select(r => r.Label).Distinct().Count() < 2)
                continue;
            auc[labels[k]] = ml.BinaryClassification.EvaluateNonCalibrated(ml.Data.LoadFromEnumerable(rows)).AreaUnderRocCurve;
        }
        return auc;
    }
}
