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
/// Lung-opacity detection (RSNA Pneumonia) with <see cref="DetectionNetwork"/>: the ResNet from a pretrained network or
/// from random weights (the baseline), fine-tuned or frozen, trained with FCOS's three losses — sigmoid focal loss on
/// every location's class, generalised-IoU loss on the boxes of the locations inside a true box (near its centre,
/// weighted by their centredness) and binary cross-entropy on their centredness — with AdamW and horizontal flips.
/// Predictions: score √(class × centredness) per location, the best candidates decoded into boxes, greedy
/// non-maximum suppression, then a score threshold chosen on the training images (the one that maximises their mAP,
/// since RSNA's metric charges every false box). Scored by <see cref="DetectionMetrics"/>. Images are brought to the
/// network's size by area averaging (boxes scaled with them) and read once, up front.
/// </summary>
internal static class DetectionFineTuning
{
    /// <summary>One image and its true boxes in the image's pixels (none: no lung opacity).</summary>
    public sealed record Example(string ImagePath, IReadOnlyList<BoundingBox> Boxes);

    /// <summary>What the test images scored.</summary>
    /// <param name="Map">mAP over IoU 0.25 … 0.75 (<see cref="DetectionMetrics.WideThresholds"/>).</param>
    /// <param name="MapChallenge">mAP over the RSNA challenge's IoU 0.40 … 0.75.</param>
    /// <param name="ScoreThreshold">The score threshold chosen on the training images.</param>
    /// <param name="TrainingImages">Images trained on.</param>
    /// <param name="Predictions">Each test image's boxes at the network's size, in test order.</param>
    /// <param name="Truths">Each test image's true boxes at the network's size, in test order.</param>
    public sealed record Result(
        double Map,
        double MapChallenge,
        double ScoreThreshold,
        int TrainingImages,
        IReadOnlyList<IReadOnlyList<BoundingBox>> Predictions,
        IReadOnlyList<IReadOnlyList<BoundingBox>> Truths
    );

    /// <summary>Locations scoring below this are never candidates.</summary>
    public const float CandidateScore = 0.05f;

    /// <summary>Candidates per image before suppression.</summary>
    public const int Candidates = 100;

    /// <summary>Boxes overlapping a more confident one by more than this are suppressed.</summary>
    public const double SuppressionIoU = 0.5;

    /// <summary>Boxes kept per image (RSNA images have at most four).</summary>
    public const int MaxBoxes = 8;

    /// <summary>FCOS's centre sampling: a location counts for a box within this many strides of its centre.</summary>
    public const double CentreRadius = 1.5;

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
            throw new ArgumentException("Detection needs test images.");
        using var detector = Train(pretrained, model, train, options, imageMean, imageStd, log);
        var testSet = Load(new ImagePreprocessor(model.ImageSize, imageMean, imageStd), test);
        var testPredictions = detector.Detect(testSet.Select(t => t.Pixels).ToList());
        var testTruths = testSet.Select(t => t.Boxes).ToList();
        var pairs = testTruths.Zip(testPredictions.Select(p => p)).ToList();
        return new Result(
            DetectionMetrics.MeanAveragePrecision(pairs, DetectionMetrics.WideThresholds),
            DetectionMetrics.MeanAveragePrecision(pairs, DetectionMetrics.ChallengeThresholds),
            detector.ScoreThreshold,
            train.Count,
            testPredictions,
            testTruths
        );
    }

    /// <summary>
    /// Trains a detector on <paramref name="train"/> (<paramref name="pretrained"/> null: from random weights) and
    /// chooses its score threshold on the same images, unless <paramref name="scoreThreshold"/> gives one.
    /// </summary>
    public static DownstreamModel Train(
        PriorModel? pretrained,
        PriorModelOptions model,
        IReadOnlyList<Example> train,
        FineTuningOptions options,
        float imageMean = ImagePreprocessor.MimicMean,
        float imageStd = ImagePreprocessor.MimicStd,
        Action<string>? log = null,
        double? scoreThreshold = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0)
            throw new ArgumentException("Detection needs training images.");
        int size = model.ImageSize;
        var trainSet = Load(new ImagePreprocessor(size, imageMean, imageStd), train);
        var device = ComputeDevices.Resolve(options.Device);

        random.manual_seed(options.SeedOrDefault);
        // Construction and the weight copy in one guard; each training step has its own (FineTuningLoop).
        var network = TorchGcGuard.Run(() => new DetectionNetwork(model));
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
                network.HeadParameters(),
                trainSet.Length,
                options,
                (batch, augment) =>
                {
                    var pixels = new float[batch.Count * size * size];
                    var boxes = new List<IReadOnlyList<BoundingBox>>();
                    for (int b = 0; b < batch.Count; b++)
                    {
                        var (image, truth) = trainSet[batch[b]];
                        bool flip = augment.Chance(0.5);
                        for (int y = 0; y < size; y++)
                        for (int x = 0; x < size; x++)
                            pixels[(b * size + y) * size + x] = image[y * size + (flip ? size - 1 - x : x)];
                        boxes.Add(flip ? truth.Select(t => t with { X = size - t.Right }).ToList() : truth);
                    }
                    return Loss(network.call(tensor(pixels, [batch.Count, 1, size, size]).to(device)), boxes, size, device);
                },
                log,
                "detection"
            );

            double threshold = scoreThreshold
                ?? ChooseThreshold(
                    Predict(network, trainSet.Select(t => t.Pixels).ToList(), size, device, options.BatchSize),
                    trainSet.Select(t => t.Boxes).ToList()
                );
            return new DownstreamModel(DownstreamTask.Detection, model, network, imageMean, imageStd, scoreThreshold: threshold);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// FCOS's targets and losses for one batch: every location's class (focal loss, summed and divided by the number of
    /// positive locations), and for the positive ones the generalised-IoU loss of the decoded box (weighted by the
    /// centredness target) and the centredness's binary cross-entropy. A location is positive when it lies inside a
    /// true box and within <see cref="CentreRadius"/> strides of its centre; inside several, it takes the smallest.
    /// </summary>
    internal static Tensor Loss(DetectionNetwork.Output output, IReadOnlyList<IReadOnlyList<BoundingBox>> boxes, int size, Device device)
    {
        int n = boxes.Count,
            cells = size / DetectionNetwork.Stride,
            locations = cells * cells;
        var classTarget = new float[n * locations];
        var boxTarget = new float[n * locations * 4];
        var centreTarget = new float[n * locations];
        var positive = new bool[n * locations];
        int positives = 0;
        for (int i = 0; i < n; i++)
        for (int r = 0; r < cells; r++)
        for (int c = 0; c < cells; c++)
        {
            double cx = (c + 0.5) * DetectionNetwork.Stride,
                cy = (r + 0.5) * DetectionNetwork.Stride;
            BoundingBox? best = null;
            foreach (var box in boxes[i])
            {
                bool inside = cx > box.X && cx < box.Right && cy > box.Y && cy < box.Bottom;
                bool central =
                    Math.Abs(cx - (box.X + box.Right) / 2) <= CentreRadius * DetectionNetwork.Stride
                    && Math.Abs(cy - (box.Y + box.Bottom) / 2) <= CentreRadius * DetectionNetwork.Stride;
                if (inside && central && (best is null || box.Area < best.Value.Area))
                    best = box;
            }
            if (best is not { } b)
                continue;
            int k = i * locations + r * cells + c;
            positive[k] = true;
            positives++;
            classTarget[k] = 1;
            (boxTarget[4 * k], boxTarget[4 * k + 1], boxTarget[4 * k + 2], boxTarget[4 * k + 3]) = (b.X, b.Y, b.Right, b.Bottom);
            double l = cx - b.X,
                t = cy - b.Y,
                right = b.Right - cx,
                bottom = b.Bottom - cy;
            centreTarget[k] = (float)Math.Sqrt(Math.Min(l, right) / Math.Max(l, right) * (Math.Min(t, bottom) / Math.Max(t, bottom)));
        }
        var classLogits = output.ClassLogits.reshape(n, locations);
        var loss =
            torchvision
                .ops.sigmoid_focal_loss(classLogits, tensor(classTarget, [n, locations]).to(device), 0.25f, 2f, nn.Reduction.None)
                .sum() / Math.Max(1, positives);
        if (positives == 0)
            return loss;
        var mask = tensor(positive, [n * locations]).to(device);
        var predicted = Decode(output.LogDistances, size).reshape(n * locations, 4)[mask];
        var targets = tensor(boxTarget, [n * locations, 4]).to(device)[mask];
        var centres = tensor(centreTarget, [n * locations]).to(device)[mask];
        var boxLoss =
            (torchvision.ops.generalized_box_iou_loss(predicted, targets, nn.Reduction.None) * centres).sum()
            / centres.sum().clamp_min(1e-6);
        var centreLoss = nn.functional.binary_cross_entropy_with_logits(output.CentrednessLogits.reshape(n * locations)[mask], centres);
        return loss + boxLoss + centreLoss;
    }

    /// <summary>Boxes [N, H·W, 4] as (x1, y1, x2, y2) in pixels from log-distances [N, 4, H, W].</summary>
    internal static Tensor Decode(Tensor logDistances, int size)
    {
        long n = logDistances.shape[0],
            cells = logDistances.shape[2];
        var distances = logDistances.clamp(max: 8).exp().mul(DetectionNetwork.Stride).permute(0, 2, 3, 1).reshape(n, cells * cells, 4);
        var centres = (arange(cells, dtype: ScalarType.Float32, device: logDistances.device) + 0.5f) * DetectionNetwork.Stride;
        var cy = centres.view(cells, 1).expand(cells, cells).reshape(1, cells * cells);
        var cx = centres.view(1, cells).expand(cells, cells).reshape(1, cells * cells);
        return stack([cx - distances[.., .., 0], cy - distances[.., .., 1], cx + distances[.., .., 2], cy + distances[.., .., 3]], 2)
            .clamp(0, size);
    }

    /// <summary>Every image's candidate boxes after non-maximum suppression (scores ≥ <see cref="CandidateScore"/>), at the network's
    /// size.</summary>
    internal static List<IReadOnlyList<BoundingBox>> Predict(
        DetectionNetwork network,
        IReadOnlyList<float[]> images,
        int size,
        Device device,
        int batchSize
    )
    {
        network.eval();
        using var noGrad = no_grad();
        var result = new List<IReadOnlyList<BoundingBox>>();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = NewDisposeScope();
            var chunk = images.Skip(start).Take(batchSize).ToList();
            var output = network.call(tensor(chunk.SelectMany(p => p).ToArray(), [chunk.Count, 1, size, size]).to(device));
            var scores = (output.ClassLogits.sigmoid() * output.CentrednessLogits.sigmoid())
                .sqrt()
                .reshape(chunk.Count, -1)
                .cpu()
                .data<float>()
                .ToArray();
            var boxes = Decode(output.LogDistances, size).cpu().data<float>().ToArray();
            int locations = scores.Length / chunk.Count;
            for (int i = 0; i < chunk.Count; i++)
            {
                var candidates = Enumerable
                    .Range(0, locations)
                    .Select(k => (k, s: scores[i * locations + k]))
                    .Where(p => p.s >= CandidateScore)
                    .OrderByDescending(p => p.s)
                    .Take(Candidates)
                    .Select(p =>
                    {
                        int o = 4 * (i * locations + p.k);
                        return new BoundingBox(boxes[o], boxes[o + 1], boxes[o + 2] - boxes[o], boxes[o + 3] - boxes[o + 1], p.s);
                    })
                    .Where(b => b.Width > 0 && b.Height > 0);
                result.Add(NonMaximumSuppression.Apply(candidates, SuppressionIoU, MaxBoxes));
            }
        }
        return result;
    }

    /// <summary>The score threshold (0.05 … 0.95 in steps of 0.05) that maximises the wide-range mAP of the training images; ties go to the
    /// lower.</summary>
    internal static double ChooseThreshold(
        IReadOnlyList<IReadOnlyList<BoundingBox>> predictions,
        IReadOnlyList<IReadOnlyList<BoundingBox>> truths
    )
    {
        double best = 0.5,
            bestMap = double.NegativeInfinity;
        for (int step = 1; step <= 19; step++)
        {
            double threshold = step * 0.05;
            var pairs = truths
                .Zip(predictions, (t, p) => (t, (IReadOnlyList<BoundingBox>)p.Where(b => b.Score >= threshold).ToList()))
                .ToList();
            double map = DetectionMetrics.MeanAveragePrecision(pairs, DetectionMetrics.WideThresholds);
            if (double.IsNaN(map))
                map = 1; // nothing true and nothing predicted: perfect
            if (map > bestMap)
                (best, bestMap) = (threshold, map);
        }
        return best;
    }

    // Each image preprocessed to S × S, its boxes scaled with it.
    private static (float[] Pixels, IReadOnlyList<BoundingBox> Boxes)[] Load(
        ImagePreprocessor preprocessor,
        IReadOnlyList<Example> examples
    )
    {
        int size = preprocessor.Size;
        var loaded = new (float[], IReadOnlyList<BoundingBox>)[examples.Count];
        Parallel.For(0, examples.Count, i =>
        {
            var (gray, width, height) = GrayscaleImage.Read(examples[i].ImagePath);
            loaded[i] = (
                preprocessor.FromGray(gray, width, height, null),
                examples[i].Boxes.Select(b => b.Scale((double)size / width, (double)size / height)).ToList()
            );
        });
        return loaded;
    }
}
