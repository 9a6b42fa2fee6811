using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Downstream;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// The downstream trainers (<c>mlContext.BinaryClassification.Trainers.PriorImageClassification</c>, <c>PriorSegmentation</c>,
/// <c>PriorDetection</c>): Fit reads every row's image path and label, fine-tunes the task's network on PRIOR's image
/// tower (or from random weights) and returns a <see cref="PriorDownstreamTransformer"/>. Rows are read once and the
/// images decoded up front, as the fine-tuning sets of the paper's protocol are small (1–100 % of a dataset).
/// </summary>
public sealed class PriorDownstreamEstimator : IEstimator<PriorDownstreamTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly PriorDownstreamOptions _options;

    internal PriorDownstreamEstimator(IHostEnvironment environment, PriorDownstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _environment = environment;
        options.Validate();
        _options = options;
        Task = options switch
        {
            PriorImageClassificationOptions => DownstreamTask.Classification,
            PriorSegmentationOptions => DownstreamTask.Segmentation,
            PriorDetectionOptions => DownstreamTask.Detection,
            _ => throw new ArgumentException($"Unknown options type {options.GetType().Name}.", nameof(options)),
        };
    }

    /// <summary>What the fitted network does.</summary>
    internal DownstreamTask Task { get; }

    private IReadOnlyList<string> OutputNames =>
        _options switch
        {
            PriorImageClassificationOptions c => [c.ScoreColumnName],
            PriorSegmentationOptions s => [s.PredictedMaskColumnName],
            PriorDetectionOptions d => [d.PredictedBoxesColumnName, d.PredictedScoresColumnName],
            _ => throw new InvalidOperationException(),
        };

    /// <inheritdoc />
    public PriorDownstreamTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var image = input.Schema.GetColumnOrNull(_options.ImageColumnName)
            ?? throw new ArgumentOutOfRangeException(
                nameof(input),
                $"Image column '{_options.ImageColumnName}' not found; the input has: "
                    + $"{string.Join(", ", input.Schema.Select(c => c.Name))}."
            );
        if (image.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(
                nameof(input),
                $"Image column '{_options.ImageColumnName}' is {image.Type}; training reads image paths (text)."
            );
        var label = input.Schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw new ArgumentOutOfRangeException(
                nameof(input),
                $"Label column '{_options.LabelColumnName}' not found; the input has: "
                    + $"{string.Join(", ", input.Schema.Select(c => c.Name))}."
            );
        var pretrained = _options.Pretrained?.Model;
        var architecture = _options.ResolvedArchitecture;
        var (mean, std) = _options.Normalisation;
        if (Transforms.Persistence.MLNetInternals.IsCanceled(_environment))
            throw new OperationCanceledException("The MLContext's execution was cancelled before fine-tuning.");
        // The MLContext's seed, log and cancellation reach the training, as they reach ML.NET's own trainers.
        var training = _options.Training with
        {
            Seed = _options.Training.Seed ?? Transforms.Persistence.MLNetInternals.Seed(_environment) ?? FineTuningOptions.DefaultSeed,
            StopRequested = () => Transforms.Persistence.MLNetInternals.IsCanceled(_environment),
        };
        using var channel = _environment.Start("PriorDownstream");
        Action<string> log = line =>
        {
            channel.Info(MessageSensitivity.None, line);
            _options.Log?.Invoke(line);
        };
        DownstreamModel model = _options switch
        {
            PriorImageClassificationOptions c => ClassificationModel(
                input,
                image,
                label,
                c,
                pretrained,
                architecture,
                mean,
                std,
                training,
                log
            ),
            PriorSegmentationOptions => SegmentationFineTuning.Train(
                pretrained,
                architecture,
                Rows(input, image, label, (path, get) => new SegmentationFineTuning.Example(path, Masks(get, label))),
                training,
                mean,
                std,
                log
            ),
            PriorDetectionOptions d => DetectionFineTuning.Train(
                pretrained,
                architecture,
                Rows(input, image, label, (path, get) => new DetectionFineTuning.Example(path, Boxes(get, label))),
                training,
                mean,
                std,
                log,
                d.ScoreThreshold
            ),
            _ => throw new InvalidOperationException(),
        };
        return new PriorDownstreamTransformer(
            new DownstreamMapper(model, _options.ImageColumnName, OutputNames, _options.InferenceBatchSize)
        );
    }

    private DownstreamModel ClassificationModel(
        IDataView input,
        DataViewSchema.Column image,
        DataViewSchema.Column label,
        PriorImageClassificationOptions options,
        Modeling.PriorModel? pretrained,
        Modeling.PriorModelOptions architecture,
        float mean,
        float std,
        FineTuningOptions training,
        Action<string> log
    )
    {
        if (label.Type is not VectorDataViewType { ItemType: var item, Size: > 0 and var count } || item != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(
                nameof(input),
                $"Label column '{label.Name}' is {label.Type}; classification needs a Single vector of known size (one value per label: "
                    + $"1, 0, or NaN for unknown)."
            );
        IReadOnlyList<string> names = options.LabelNames
            ?? SlotNames(label, count)
            ?? Enumerable.Range(1, count).Select(i => $"Label{i}").ToList();
        if (names.Count != count)
            throw new ArgumentException($"{names.Count} label names for the {count} values of column '{label.Name}'.", nameof(options));
        var examples = Rows(input, image, label, (path, get) =>
            new LinearProbe.Example(path, ((VBuffer<float>)get()).DenseValues().ToArray())
        );
        return ImageClassificationFineTuning.Train(pretrained, architecture, examples, names, training, mean, std, log);
    }

    private static IReadOnlyList<string>? SlotNames(DataViewSchema.Column column, int count)
    {
        if (!column.HasSlotNames(count))
            return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        column.GetSlotNames(ref names);
        var list = names.DenseValues().Select(n => n.ToString()).ToList();
        return list.Any(string.IsNullOrWhiteSpace) ? null : list;
    }

    // Every row's image path and label value (boxed), turned into an example; rows are numbered in errors.
    private static List<T> Rows<T>(
        IDataView input,
        DataViewSchema.Column image,
        DataViewSchema.Column label,
        Func<string, Func<object>, T> make
    )
    {
        var result = new List<T>();
        using var cursor = input.GetRowCursor([image, label]);
        var path = cursor.GetGetter<ReadOnlyMemory<char>>(image);
        Func<object> value = label.Type switch
        {
            VectorDataViewType { ItemType: TextDataViewType } => Getter<VBuffer<ReadOnlyMemory<char>>>(cursor, label),
            TextDataViewType => Getter<ReadOnlyMemory<char>>(cursor, label),
            VectorDataViewType { ItemType: NumberDataViewType n } when n == NumberDataViewType.Single => Getter<VBuffer<float>>(
                cursor,
                label
            ),
            _ => throw new ArgumentOutOfRangeException(
                nameof(label),
                $"Label column '{label.Name}' is {label.Type}; see the task's options for the forms it takes."
            ),
        };
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            ReadOnlyMemory<char> p = default;
            path(ref p);
            var text = p.ToString();
            if (text.Length == 0)
                throw new InvalidDataException($"Row {row}: the image path in '{image.Name}' is empty.");
            try
            {
                result.Add(make(text, value));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidCastException)
            {
                throw new InvalidDataException($"Row {row} ({text}): the label in '{label.Name}' is not usable: {ex.Message}", ex);
            }
        }
        if (result.Count == 0)
            throw new InvalidDataException("The training data has no rows.");
        return result;
    }

    private static Func<object> Getter<TValue>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<TValue>(column);
        return () =>
        {
            TValue v = default!;
            getter(ref v);
            return v!;
        };
    }

    // SIIM masks: a text vector (every mask of the image) or one text; each checked.
    private static IReadOnlyList<string> Masks(Func<object> get, DataViewSchema.Column label)
    {
        var masks = get() switch
        {
            VBuffer<ReadOnlyMemory<char>> vector => vector.DenseValues().Select(m => m.ToString()).ToList(),
            ReadOnlyMemory<char> one => [one.ToString()],
            _ => throw new InvalidCastException(
                $"column '{label.Name}' holds {label.Type}; segmentation needs SIIM run-length text (a text vector or one text)."
            ),
        };
        foreach (var mask in masks)
            if (SiimRunLength.Check(mask) is { } problem)
                throw new FormatException(problem);
        return masks;
    }

    // RSNA boxes: four numbers per box (x, y, width, height in the image's pixels).
    private static IReadOnlyList<BoundingBox> Boxes(Func<object> get, DataViewSchema.Column label)
    {
        if (get() is not VBuffer<float> vector)
            throw new InvalidCastException(
                $"column '{label.Name}' holds {label.Type}; detection needs a Single vector of boxes (x, y, width, height each)."
            );
        var boxes = BoundingBox.FromFlat(vector.DenseValues().ToArray());
        foreach (var b in boxes)
            if (
                !(b.Width > 0 && b.Height > 0)
                || !float.IsFinite(b.X)
                || !float.IsFinite(b.Y)
                || !float.IsFinite(b.Width)
                || !float.IsFinite(b.Height)
            )
                throw new ArgumentException(
                    $"box ({b.X}, {b.Y}, {b.Width}, {b.Height}) needs finite numbers and a positive width and height."
                );
        return boxes;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var name in new[] { _options.ImageColumnName, _options.LabelColumnName })
            if (!inputSchema.Any(c => c.Name == name))
                throw new ArgumentOutOfRangeException(
                    nameof(inputSchema),
                    $"Input column '{name}' not found; the input has: {string.Join(", ", inputSchema.Select(c => c.Name))}."
                );
        var builder = new DataViewSchema.Builder();
        foreach (var name in OutputNames.Take(1))
            builder.AddColumn(
                name,
                Task == DownstreamTask.Segmentation ? TextDataViewType.Instance : new VectorDataViewType(NumberDataViewType.Single)
            );
        if (Task == DownstreamTask.Detection)
            builder.AddColumn(OutputNames[1], new VectorDataViewType(NumberDataViewType.Single));
        var outputs = PriorSchemaShapes.ShapeOf(builder.ToSchema());
        var columns = inputSchema.Where(c => !outputs.Any(o => o.Name == c.Name)).ToList();
        columns.AddRange(outputs);
        return new SchemaShape(columns);
    }
}
