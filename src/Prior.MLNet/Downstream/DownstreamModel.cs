using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Downstream;

/// <summary>
/// A fine-tuned downstream network ready for inference: the task, the PRIOR architecture it was built from, its
/// weights (eval mode, on its device), the image normalisation it was trained with, and what the task needs besides —
/// the label names of a classifier, the score threshold of a detector. Calls are serialised, batched and run without
/// gradients inside dispose scopes; <see cref="Save"/> and <see cref="Load"/> read and write it as a small zip
/// (a JSON header and the weights), which the ML.NET transformers embed in model zips.
/// </summary>
internal sealed class DownstreamModel : IDisposable
{
    private const string FormatName = "prior-mlnet-downstream";
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };
    private readonly object _gate = new();

    private sealed record Header(
        string Format,
        int Version,
        DownstreamTask Task,
        PriorModelOptions Architecture,
        float ImageMean,
        float ImageStd,
        IReadOnlyList<string> Labels,
        double ScoreThreshold,
        int MinimumMaskPixels = 0
    );

    internal DownstreamModel(
        DownstreamTask task,
        PriorModelOptions architecture,
        nn.Module network,
        float imageMean,
        float imageStd,
        IReadOnlyList<string>? labels = null,
        double scoreThreshold = 0.5,
        int minimumMaskPixels = 0
    )
    {
        Task = task;
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        Network = network ?? throw new ArgumentNullException(nameof(network));
        ImageMean = imageMean;
        ImageStd = imageStd;
        Labels = labels ?? [];
        ScoreThreshold = scoreThreshold;
        ArgumentOutOfRangeException.ThrowIfNegative(minimumMaskPixels);
        MinimumMaskPixels = minimumMaskPixels;
        if (task == DownstreamTask.Classification && Labels.Count == 0)
            throw new ArgumentException("A classifier needs its label names.", nameof(labels));
        Network.eval();
    }

    /// <summary>What the network does.</summary>
    public DownstreamTask Task { get; }

    /// <summary>The PRIOR sizes the network was built with (image size, ResNet widths, embedding size).</summary>
    public PriorModelOptions Architecture { get; }

    /// <summary>The network (an <see cref="ImageClassifierNetwork"/>, <see cref="SegmentationNetwork"/> or <see
    /// cref="DetectionNetwork"/>).</summary>
    public nn.Module Network { get; }

    /// <summary>Image normalisation mean used in training.</summary>
    public float ImageMean { get; }

    /// <summary>Image normalisation standard deviation used in training.</summary>
    public float ImageStd { get; }

    /// <summary>A classifier's label names, in score order; empty for the other tasks.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>A detector's score threshold (boxes scoring less are dropped); unused by the other tasks.</summary>
    public double ScoreThreshold { get; }

    /// <summary>
    /// A segmenter's smallest mask, in pixels at the network's size: a predicted mask with fewer pixels is emptied (as
    /// SIIM's winning entries did; chosen on the training images); 0 keeps every mask. Unused by the other tasks.
    /// </summary>
    public int MinimumMaskPixels { get; }

    /// <summary>The side, in pixels, images are brought to.</summary>
    public int ImageSize => Architecture.ImageSize;

    /// <summary>Builds the task's network for <paramref name="architecture"/>, from random weights.</summary>
    internal static nn.Module Create(DownstreamTask task, PriorModelOptions architecture, int labels) =>
        task switch
        {
            DownstreamTask.Classification => new ImageClassifierNetwork(architecture, labels),
            DownstreamTask.Segmentation => new SegmentationNetwork(architecture),
            DownstreamTask.Detection => new DetectionNetwork(architecture),
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
        };

    /// <summary>A classifier's probability per label for each image (normalised S×S pixels).</summary>
    public float[][] Classify(IReadOnlyList<float[]> pixels)
    {
        Expect(DownstreamTask.Classification);
        return Run(pixels, images => ((ImageClassifierNetwork)Network).call(images).sigmoid(), Labels.Count);
    }

    /// <summary>
    /// A segmenter's mask for each image at the network's size (row-major, 1 inside), at probability ½, emptied when
    /// smaller than <paramref name="minimumPixels"/> (default <see cref="MinimumMaskPixels"/>).
    /// </summary>
    public byte[][] Segment(IReadOnlyList<float[]> pixels, int? minimumPixels = null)
    {
        Expect(DownstreamTask.Segmentation);
        int minimum = minimumPixels ?? MinimumMaskPixels;
        return Run(
                pixels,
                images => ((SegmentationNetwork)Network).call(images).sigmoid().gt(0.5).to_type(ScalarType.Float32),
                ImageSize * ImageSize
            )
            .Select(mask => WithMinimumSize(mask.Select(v => (byte)(v > 0 ? 1 : 0)).ToArray(), minimum))
            .ToArray();
    }

    /// <summary>The mask itself, or an empty one when it has fewer than <paramref name="minimumPixels"/> pixels set.</summary>
    internal static byte[] WithMinimumSize(byte[] mask, int minimumPixels) =>
        mask.Count(b => b != 0) < minimumPixels ? new byte[mask.Length] : mask;

    /// <summary>
    /// A detector's boxes for each image at the network's size, after non-maximum suppression; only those scoring at
    /// least <paramref name="threshold"/> (default <see cref="ScoreThreshold"/>).
    /// </summary>
    public IReadOnlyList<BoundingBox>[] Detect(IReadOnlyList<float[]> pixels, double? threshold = null)
    {
        Expect(DownstreamTask.Detection);
        double limit = threshold ?? ScoreThreshold;
        lock (_gate)
        {
            // Predict guards each batch.
            return DetectionFineTuning
                .Predict((DetectionNetwork)Network, pixels, ImageSize, Device, InferenceBatch)
                .Select(boxes => (IReadOnlyList<BoundingBox>)boxes.Where(b => b.Score >= limit).ToList())
                .ToArray();
        }
    }

    private Device Device => Network.parameters().First().device;

    // Images per forward pass inside one call (callers may pass many).
    private const int InferenceBatch = Defaults.InferenceBatchSize;

    private void Expect(DownstreamTask task)
    {
        if (Task != task)
            throw new InvalidOperationException(
                $"This is a {Task.ToString().ToLowerInvariant()} network, not a {task.ToString().ToLowerInvariant()} one."
            );
    }

    private float[][] Run(IReadOnlyList<float[]> pixels, Func<Tensor, Tensor> forward, int width)
    {
        if (pixels.Count == 0)
            return [];
        lock (_gate)
        {
            using var noGrad = no_grad();
            int size = ImageSize;
            var result = new List<float[]>(pixels.Count);
            for (int start = 0; start < pixels.Count; start += InferenceBatch)
            {
                using var batchGuard = TorchGcGuard.Enter();
                using var batchScope = NewDisposeScope();
                var chunk = pixels.Skip(start).Take(InferenceBatch).ToList();
                var images = tensor(chunk.SelectMany(p => p).ToArray(), [chunk.Count, 1, size, size]).to(Device);
                var flat = forward(images).reshape(chunk.Count, width).cpu().data<float>().ToArray();
                result.AddRange(Enumerable.Range(0, chunk.Count).Select(i => flat.AsSpan(i * width, width).ToArray()));
            }
            return result.ToArray();
        }
    }

    /// <summary>Writes the model (header and weights) to <paramref name="stream"/>.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var weights = new MemoryStream();
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var writer = new BinaryWriter(weights, System.Text.Encoding.UTF8, leaveOpen: true);
            Network.save(writer);
        }
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var header = new StreamWriter(zip.CreateEntry("downstream.json").Open()))
            header.Write(
                JsonSerializer.Serialize(
                    new Header(
                        FormatName,
                        FormatVersion,
                        Task,
                        Architecture,
                        ImageMean,
                        ImageStd,
                        Labels,
                        ScoreThreshold,
                        MinimumMaskPixels
                    ),
                    Json
                )
            );
        using var entry = zip.CreateEntry("weights.bin").Open();
        weights.Position = 0;
        weights.CopyTo(entry);
    }

    /// <summary>Reads a model <see cref="Save"/> wrote; <paramref name="name"/> names the source in errors. The network runs on <paramref
    /// name="device"/> (default: the CPU).</summary>
    public static DownstreamModel Load(Stream stream, string name, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var headerEntry = zip.GetEntry("downstream.json")
                ?? throw new InvalidDataException($"{name}: not a Prior.MLNet downstream model (no downstream.json).");
            Header header;
            using (var reader = new StreamReader(headerEntry.Open()))
                header = JsonSerializer.Deserialize<Header>(reader.ReadToEnd(), Json)
                    ?? throw new InvalidDataException($"{name}: empty downstream.json.");
            if (header.Format != FormatName)
                throw new InvalidDataException($"{name}: downstream.json is '{header.Format}', not {FormatName}.");
            if (header.Version > FormatVersion)
                throw new InvalidDataException(
                    $"{name}: written by a newer Prior.MLNet (format {header.Version}; this one reads up to {FormatVersion})."
                );
            header.Architecture.Validate();
            var weightsEntry = zip.GetEntry("weights.bin") ?? throw new InvalidDataException($"{name}: no weights.bin.");
            using var weights = new MemoryStream();
            using (var source = weightsEntry.Open())
                source.CopyTo(weights);
            weights.Position = 0;
            using var guard = TorchGcGuard.Enter();
            var network = Create(header.Task, header.Architecture, Math.Max(1, header.Labels.Count));
            using (var reader = new BinaryReader(weights))
                network.load(reader);
            if (device is not null)
                network.to(device);
            return new DownstreamModel(
                header.Task,
                header.Architecture,
                network,
                header.ImageMean,
                header.ImageStd,
                header.Labels,
                header.ScoreThreshold,
                header.MinimumMaskPixels
            );
        }
        catch (Exception ex) when (ex is JsonException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{name}: the downstream model cannot be read ({ex.Message}).", ex);
        }
    }

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();
}
