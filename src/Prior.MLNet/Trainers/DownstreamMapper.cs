using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Downstream;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// Runs a <see cref="DownstreamModel"/> over an image column in batches (decoding the next batch while the network
/// runs): a classifier's probabilities, a segmenter's mask as SIIM run-length text at the image's size, or a
/// detector's boxes and scores in the image's pixels. Unreadable images fail, naming the row and file.
/// </summary>
internal sealed class DownstreamMapper(DownstreamModel model, string input, IReadOnlyList<string> outputs, int batchSize)
    : BatchedColumnMapper
{
    private readonly ImagePreprocessor _preprocessor = new(model.ImageSize, model.ImageMean, model.ImageStd);

    public DownstreamModel Model => model;

    /// <summary>The output column names: classification [score], segmentation [mask], detection [boxes, scores].</summary>
    public IReadOnlyList<string> OutputColumnNames => outputs;

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns =>
        model.Task switch
        {
            DownstreamTask.Classification =>
            [
                (outputs[0], new VectorDataViewType(NumberDataViewType.Single, model.Labels.Count), SlotNames(model.Labels)),
            ],
            DownstreamTask.Segmentation => [(outputs[0], TextDataViewType.Instance, null)],
            _ =>
            [
                (outputs[0], new VectorDataViewType(NumberDataViewType.Single), null),
                (outputs[1], new VectorDataViewType(NumberDataViewType.Single), null),
            ],
        };

    private static DataViewSchema.Annotations SlotNames(IReadOnlyList<string> labels)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        builder.AddSlotNames(labels.Count, (ref VBuffer<ReadOnlyMemory<char>> value) =>
            value = new VBuffer<ReadOnlyMemory<char>>(labels.Count, labels.Select(l => l.AsMemory()).ToArray())
        );
        return builder.ToAnnotations();
    }

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, model.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override bool PreparesAhead => true;

    public override object? Prepare(IReadOnlyList<object> inputs, long firstRow)
    {
        var (pixels, _) = ImageBatch.Decode(inputs, _preprocessor, UnreadableImageHandling.Fail, firstRow);
        // Only the outputs in the image's own pixels need its size.
        var sizes =
            model.Task == DownstreamTask.Classification ? null : inputs.Select((value, i) => Dimensions(value, firstRow + i)).ToArray();
        return (pixels.Select(p => p!).ToList(), sizes);
    }

    private (int, int) Dimensions(object value, long row)
    {
        try
        {
            return ImageDimensions.Of(value, model.ImageSize);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Row {row + 1}: {ex.Message}", ex);
        }
    }

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow) => Compute(inputs, firstRow, Prepare(inputs, firstRow));

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow, object? prepared)
    {
        var (pixels, sizes) = ((List<float[]>, (int Width, int Height)[]?))prepared!;
        int size = model.ImageSize;
        switch (model.Task)
        {
            case DownstreamTask.Classification:
                return [model.Classify(pixels).Select(p => (object)new VBuffer<float>(p.Length, p)).ToArray()];
            case DownstreamTask.Segmentation:
                return
                [
                    model
                        .Segment(pixels)
                        .Select((mask, i) => (object)Upscale(mask, size, sizes![i].Width, sizes[i].Height).AsMemory())
                        .ToArray(),
                ];
            default:
            {
                var detected = model.Detect(pixels);
                var boxes = new object[pixels.Count];
                var scores = new object[pixels.Count];
                for (int i = 0; i < pixels.Count; i++)
                {
                    var (width, height) = sizes![i];
                    var inImage = detected[i].Select(b => b.Scale((double)width / size, (double)height / size)).ToList();
                    boxes[i] = new VBuffer<float>(
                        4 * inImage.Count,
                        inImage.SelectMany(b => new[] { b.X, b.Y, b.Width, b.Height }).ToArray()
                    );
                    scores[i] = new VBuffer<float>(inImage.Count, inImage.Select(b => b.Score).ToArray());
                }
                return [boxes, scores];
            }
        }
    }

    // The network's S × S mask at the image's size by nearest neighbour, encoded as SIIM does.
    private static string Upscale(byte[] mask, int size, int width, int height)
    {
        if (!mask.Contains((byte)1))
            return SiimRunLength.Empty;
        var full = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(size - 1, (int)((y + 0.5) * size / height));
            for (int x = 0; x < width; x++)
                full[y * width + x] = mask[sy * size + Math.Min(size - 1, (int)((x + 0.5) * size / width))];
        }
        return SiimRunLength.Encode(full, width, height);
    }
}
