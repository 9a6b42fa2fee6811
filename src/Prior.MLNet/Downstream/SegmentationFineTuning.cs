using Prior.MLNet.Data;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Trainers;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Downstream;

/// <summary>
/// Pneumothorax segmentation on PRIOR's ResNet (<see cref="SegmentationNetwork"/>): the encoder from a pretrained
/// network or from random weights (the baseline), fine-tuned or frozen, with binary cross-entropy plus soft Dice per
/// pixel, AdamW; scored by <see cref="SegmentationMetrics"/> at probability ½. Images and masks are brought to the
/// network's size (area-averaged images, nearest-neighbour masks) and read once, up front.
/// </summary>
internal static class SegmentationFineTuning
{
    /// <summary>One image and its SIIM run-length masks (none: no pneumothorax).</summary>
    public sealed record Example(string ImagePath, IReadOnlyList<string> EncodedPixels);

    /// <summary>What the test images scored.</summary>
    /// <param name="Dice">Mean Dice over all test images (SIIM's rule: an empty prediction on an empty mask is 1).</param>
    /// <param name="DiceOnPositives">Mean Dice over the test images with pneumothorax.</param>
    /// <param name="IoUOnPositives">Mean IoU over the test images with pneumothorax.</param>
    /// <param name="TrainingImages">Images trained on.</param>
    /// <param name="Predictions">Each test image's predicted mask at the network's size (row-major, 1 inside), in test order.</param>
    /// <param name="Truths">Each test image's true mask at the network's size, in test order.</param>
    /// <param name="MinimumMaskPixels">The minimum mask size chosen on the training images (see <see
    /// cref="DownstreamModel.MinimumMaskPixels"/>).</param>
    /// <param name="DiceWithoutMinimum">Mean Dice over all test images with no minimum mask size: what the gating is worth.</param>
    public sealed record Result(
        double Dice,
        double DiceOnPositives,
        double IoUOnPositives,
        int TrainingImages,
        IReadOnlyList<byte[]> Predictions,
        IReadOnlyList<byte[]> Truths,
        int MinimumMaskPixels = 0,
        double DiceWithoutMinimum = double.NaN
    );

    /// <summary>Trains on <paramref name="train"/> and scores <paramref name="test"/>; <paramref name="pretrained"/> null starts from
    /// random weights.</summary>
    public static Result Run(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<Example> train,
        IReadOnlyList<Example> test,
        FineTuningOptions options,
        float imageMean = ImagePreprocessor.MimicMean,
        float imageStd = ImagePreprocessor.MimicStd,
        Action<string>? log = null
    )
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.Count == 0)
            throw new ArgumentException("Segmentation needs test images.");
        using var segmenter = Train(pretrained, model, train, options, imageMean, imageStd, log);
        var testSet = Load(new ImagePreprocessor(model.ImageSize, imageMean, imageStd), test);
        var ungated = segmenter.Segment(testSet.Select(t => t.Pixels).ToList(), minimumPixels: 0);
        var predictions = ungated.Select(p => DownstreamModel.WithMinimumSize(p, segmenter.MinimumMaskPixels)).ToArray();
        var dice = new List<double>();
        var positiveDice = new List<double>();
        var positiveIoU = new List<double>();
        for (int i = 0; i < testSet.Length; i++)
        {
            dice.Add(SegmentationMetrics.Dice(predictions[i], testSet[i].Mask));
            if (testSet[i].Mask.Contains((byte)1))
            {
                positiveDice.Add(dice[^1]);
                positiveIoU.Add(SegmentationMetrics.IoU(predictions[i], testSet[i].Mask));
            }
        }
        return new Result(
            dice.Average(),
            positiveDice.DefaultIfEmpty(double.NaN).Average(),
            positiveIoU.DefaultIfEmpty(double.NaN).Average(),
            train.Count,
            predictions,
            testSet.Select(t => t.Mask).ToList(),
            segmenter.MinimumMaskPixels,
            ungated.Select((p, i) => SegmentationMetrics.Dice(p, testSet[i].Mask)).Average()
        );
    }

    /// <summary>Trains a segmenter on <paramref name="train"/>; <paramref name="pretrained"/> null starts from random weights.</summary>
    public static DownstreamModel Train(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<Example> train,
        FineTuningOptions options,
        float imageMean = ImagePreprocessor.MimicMean,
        float imageStd = ImagePreprocessor.MimicStd,
        Action<string>? log = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0)
            throw new ArgumentException("Segmentation needs training images.");
        int size = model.ImageSize;
        var trainSet = Load(new ImagePreprocessor(size, imageMean, imageStd), train);
        var device = ComputeDevices.Resolve(options.Device);

        random.manual_seed(options.SeedOrDefault);
        // Construction and the weight copy in one guard; each training step has its own (FineTuningLoop).
        var network = TorchGcGuard.Run(() => new SegmentationNetwork(model));
        try
        {
            TorchGcGuard.Run(() =>
            {
                if (pretrained is not null)
                    network.LoadEncoder(pretrained);
                return network.to(device);
            });
            FineTuningLoop.Train(
                network,
                network.image_encoder,
                network.EncoderParameters().ToList(),
                network.DecoderParameters(),
                trainSet.Length,
                options,
                (batch, _) =>
                {
                    var images = tensor(batch.SelectMany(i => trainSet[i].Pixels).ToArray(), [batch.Count, 1, size, size]).to(device);
                    var masks = tensor(
                            batch.SelectMany(i => trainSet[i].Mask.Select(m => (float)m)).ToArray(),
                            [batch.Count, 1, size, size]
                        )
                        .to(device);
                    var logits = network.call(images);
                    var probabilities = logits.sigmoid();
                    var overlap = (probabilities * masks).sum([1, 2, 3]);
                    var softDice = (2 * overlap + 1) / (probabilities.sum([1, 2, 3]) + masks.sum([1, 2, 3]) + 1);
                    return nn.functional.binary_cross_entropy_with_logits(logits, masks) + (1 - softDice).mean();
                },
                log,
                "segmentation"
            );
            // the same network; not disposed here
            var unfiltered = new DownstreamModel(DownstreamTask.Segmentation, model, network, imageMean, imageStd);
            int minimum = ChooseMinimumPixels(
                unfiltered.Segment(trainSet.Select(t => t.Pixels).ToList(), 0),
                trainSet.Select(t => t.Mask).ToList(),
                size
            );
            return new DownstreamModel(DownstreamTask.Segmentation, model, network, imageMean, imageStd, minimumMaskPixels: minimum);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The smallest mask size (0, then powers of two up to an eighth of the image) that maximises the training images'
    /// mean Dice under SIIM's rule; ties go to the larger — the most conservative size that costs the training images
    /// nothing, since a network that fits its few training images leaves no blobs on them yet does on new ones. Small
    /// spurious blobs on images without pneumothorax cost a whole image's Dice, so SIIM's entries emptied masks below
    /// such a size.
    /// </summary>
    internal static int ChooseMinimumPixels(IReadOnlyList<byte[]> predictions, IReadOnlyList<byte[]> truths, int size)
    {
        var areas = predictions.Select(p => p.Count(v => v != 0)).ToArray();
        int best = 0;
        double bestDice = double.NegativeInfinity;
        for (int minimum = 0; minimum <= size * size / 8; minimum = minimum == 0 ? 1 : minimum * 2)
        {
            double dice = 0;
            for (int i = 0; i < predictions.Count; i++)
                dice += areas[i] < minimum ? (truths[i].Contains((byte)1) ? 0 : 1) : SegmentationMetrics.Dice(predictions[i], truths[i]);
            if (dice >= bestDice - 1e-12)
                (best, bestDice) = (minimum, Math.Max(dice, bestDice));
        }
        return best;
    }

    // Each image preprocessed to S × S and its mask (the union of its run-length masks, at the image's own size)
    // brought to S × S by nearest neighbour.
    private static (float[] Pixels, byte[] Mask)[] Load(ImagePreprocessor preprocessor, IReadOnlyList<Example> examples)
    {
        int size = preprocessor.Size;
        var loaded = new (float[], byte[])[examples.Count];
        Parallel.For(0, examples.Count, i =>
        {
            var (gray, width, height) = GrayscaleImage.Read(examples[i].ImagePath);
            var full = new byte[width * height];
            foreach (var encoded in examples[i].EncodedPixels)
                SiimRunLength.DecodeInto(encoded, width, height, full);
            var mask = new byte[size * size];
            for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                mask[y * size + x] = full[(int)((y + 0.5) * height / size) * width + (int)((x + 0.5) * width / size)];
            loaded[i] = (preprocessor.FromGray(gray, width, height, null), mask);
        });
        return loaded;
    }
}
