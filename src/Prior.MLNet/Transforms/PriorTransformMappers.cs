using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>Image → normalised global embedding (and optionally the normalised local patch embeddings, flattened).</summary>
internal sealed class ImageEmbeddingMapper(PriorNetwork network, string input, string output, string? localOutput, int batchSize, float mean, float std)
    : BatchedColumnMapper
{
    private readonly ImagePreprocessor _preprocessor = new(network.Model.Options.ImageSize, mean, std);

    public string OutputColumnName => output;

    public string? LocalOutputColumnName => localOutput;

    public float Mean => mean;

    public float Std => std;

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns =>
        localOutput is null
            ? [(output, new VectorDataViewType(NumberDataViewType.Single, network.EmbeddingDim), null)]
            : [(output, new VectorDataViewType(NumberDataViewType.Single, network.EmbeddingDim), null),
               (localOutput, new VectorDataViewType(NumberDataViewType.Single, network.Patches, network.EmbeddingDim), null)];

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, network.Model.Options.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override object[][] Compute(IReadOnlyList<object> inputs)
    {
        if (inputs.Count == 0) return localOutput is null ? [[]] : [[], []];
        var pixels = ParallelMap.Run(inputs, input => ImageInput.Pixels(input, _preprocessor));
        var (global, local) = network.EmbedImages(pixels, localOutput is not null);
        var globals = global.Select(v => (object)new VBuffer<float>(v.Length, v)).ToArray();
        return local is null ? [globals] : [globals, local.Select(v => (object)new VBuffer<float>(v.Length, v)).ToArray()];
    }
}

/// <summary>Report text (or a sentence vector) → normalised report embedding.</summary>
internal sealed class ReportEmbeddingMapper(PriorNetwork network, string input, string output, int batchSize) : BatchedColumnMapper
{
    public string OutputColumnName => output;

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns =>
        [(output, new VectorDataViewType(NumberDataViewType.Single, network.EmbeddingDim), null)];

    public override void CheckInput(DataViewSchema inputSchema)
    {
        var col = inputSchema.GetColumnOrNull(input)
            ?? throw new ArgumentOutOfRangeException(nameof(input), $"Input column '{input}' not found; expected report text or a text vector of sentences.");
        if (col.Type is not TextDataViewType && col.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(nameof(input), $"Input column '{input}' is {col.Type}; expected report text or a text vector of sentences.");
    }

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            return () => { ReadOnlyMemory<char> v = default; getter(ref v); return PriorNetwork.Sentences(v.ToString()); };
        }
        var vector = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        return () => { VBuffer<ReadOnlyMemory<char>> v = default; vector(ref v); return (IReadOnlyList<string>)v.DenseValues().Select(s => s.ToString()).ToList(); };
    }

    public override object[][] Compute(IReadOnlyList<object> inputs)
    {
        if (inputs.Count == 0) return [[]];
        var embeddings = network.EmbedReports(inputs.Cast<IReadOnlyList<string>>().ToList());
        return [embeddings.Select(v => (object)new VBuffer<float>(v.Length, v)).ToArray()];
    }
}

/// <summary>Image → zero-shot <c>Score</c> vector and key-typed <c>PredictedLabel</c> over the classes.</summary>
internal sealed class ZeroShotMapper(PriorNetwork network, ZeroShotClassifier classifier, string input, string scoreColumn, string predictedColumn, int batchSize)
    : BatchedColumnMapper
{
    public ZeroShotClassifier Classifier => classifier;

    public string ScoreColumnName => scoreColumn;

    public string PredictedLabelColumnName => predictedColumn;

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns
    {
        get
        {
            int k = classifier.Classes.Count;
            var names = new VBuffer<ReadOnlyMemory<char>>(k, classifier.Classes.Select(c => c.AsMemory()).ToArray());
            var slotNames = new DataViewSchema.Annotations.Builder();
            slotNames.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, k), (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v));
            var keyValues = new DataViewSchema.Annotations.Builder();
            keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, k), (ref VBuffer<ReadOnlyMemory<char>> v) => names.CopyTo(ref v));
            return [(scoreColumn, new VectorDataViewType(NumberDataViewType.Single, k), slotNames.ToAnnotations()),
                    (predictedColumn, new KeyDataViewType(typeof(uint), k), keyValues.ToAnnotations())];
        }
    }

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, network.Model.Options.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override object[][] Compute(IReadOnlyList<object> inputs)
    {
        if (inputs.Count == 0) return [[], []];
        var pixels = ParallelMap.Run(inputs, input => ImageInput.Pixels(input, classifier.Preprocessor));
        float[][] scores;
        lock (network.Gate)
            scores = classifier.ScorePixels(pixels);
        return [scores.Select(s => (object)new VBuffer<float>(s.Length, s)).ToArray(),
                scores.Select(s => (object)(uint)(Array.IndexOf(s, s.Max()) + 1)).ToArray()];
    }
}
