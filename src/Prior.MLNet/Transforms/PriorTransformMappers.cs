using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Generation;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>Image → normalised global embedding (and optionally the normalised local patch embeddings, flattened).</summary>
internal sealed class ImageEmbeddingMapper(
    PriorNetwork network,
    string input,
    string output,
    string? localOutput,
    int batchSize,
    float mean,
    float std,
    UnreadableImageHandling handling = UnreadableImageHandling.Fail,
    string errorColumn = Defaults.ImageErrorColumnName
) : BatchedColumnMapper
{
    private readonly ImagePreprocessor _preprocessor = new(network.Model.Options.ImageSize, mean, std);

    public string OutputColumnName => output;

    public string? LocalOutputColumnName => localOutput;

    public float Mean => mean;

    public float Std => std;

    public UnreadableImageHandling Handling => handling;

    public string ErrorColumnName => errorColumn;

    public ImageEmbeddingMapper WithHandling(UnreadableImageHandling newHandling, string newErrorColumn) =>
        new(network, input, output, localOutput, batchSize, mean, std, newHandling, newErrorColumn);

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns
    {
        get
        {
            var columns = new List<(string, DataViewType, DataViewSchema.Annotations?)>
            {
                (output, new VectorDataViewType(NumberDataViewType.Single, network.EmbeddingDim), null),
            };
            if (localOutput is not null)
                columns.Add((localOutput, new VectorDataViewType(NumberDataViewType.Single, network.Patches, network.EmbeddingDim), null));
            if (handling == UnreadableImageHandling.Skip)
                columns.Add((errorColumn, TextDataViewType.Instance, null));
            return columns;
        }
    }

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, network.Model.Options.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override bool PreparesAhead => true;

    public override object? Prepare(IReadOnlyList<object> inputs, long firstRow) =>
        ImageBatch.Decode(inputs, _preprocessor, handling, firstRow);

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow) => Compute(inputs, firstRow, null);

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow, object? prepared)
    {
        var (pixels, errors) = prepared as (float[]?[], string?[])? ?? ImageBatch.Decode(inputs, _preprocessor, handling, firstRow);
        var readable = Enumerable.Range(0, inputs.Count).Where(i => pixels[i] is not null).ToList();
        float[][] global = [];
        float[][]? local = null;
        if (readable.Count > 0)
            (global, local) = network.EmbedImages(readable.Select(i => pixels[i]!).ToList(), localOutput is not null);
        var globals = new object[inputs.Count];
        var locals = new object[inputs.Count];
        for (int i = 0, k = 0; i < inputs.Count; i++)
        {
            bool ok = pixels[i] is not null;
            globals[i] = new VBuffer<float>(network.EmbeddingDim, ok ? global[k] : ImageBatch.Missing(network.EmbeddingDim));
            if (localOutput is not null)
                locals[i] = new VBuffer<float>(
                    network.Patches * network.EmbeddingDim,
                    ok ? local![k] : ImageBatch.Missing(network.Patches * network.EmbeddingDim)
                );
            if (ok)
                k++;
        }
        var result = new List<object[]> { globals };
        if (localOutput is not null)
            result.Add(locals);
        if (handling == UnreadableImageHandling.Skip)
            result.Add(errors.Select(e => (object)(e ?? string.Empty).AsMemory()).ToArray());
        return result.ToArray();
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

    public override void CheckInput(DataViewSchema inputSchema) => ReportInput.Check(inputSchema, input, nameof(input));

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            return () =>
            {
                ReadOnlyMemory<char> v = default;
                getter(ref v);
                return PriorNetwork.Sentences(v.ToString());
            };
        }
        var vector = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        return () =>
        {
            VBuffer<ReadOnlyMemory<char>> v = default;
            vector(ref v);
            return (IReadOnlyList<string>)v.DenseValues().Select(s => s.ToString()).ToList();
        };
    }

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow)
    {
        if (inputs.Count == 0)
            return
            [
                [],
            ];
        var embeddings = network.EmbedReports(inputs.Cast<IReadOnlyList<string>>().ToList());
        return [embeddings.Select(v => (object)new VBuffer<float>(v.Length, v)).ToArray()];
    }
}

/// <summary>Image → zero-shot <c>Score</c> vector and key-typed <c>PredictedLabel</c> over the classes.</summary>
internal sealed class ZeroShotMapper(
    PriorNetwork network,
    ZeroShotClassifier classifier,
    string input,
    string scoreColumn,
    string predictedColumn,
    int batchSize,
    UnreadableImageHandling handling = UnreadableImageHandling.Fail,
    string errorColumn = Defaults.ImageErrorColumnName
) : BatchedColumnMapper
{
    public ZeroShotClassifier Classifier => classifier;

    public string ScoreColumnName => scoreColumn;

    public string PredictedLabelColumnName => predictedColumn;

    public UnreadableImageHandling Handling => handling;

    public string ErrorColumnName => errorColumn;

    public ZeroShotMapper WithHandling(UnreadableImageHandling newHandling, string newErrorColumn) =>
        new(network, classifier, input, scoreColumn, predictedColumn, batchSize, newHandling, newErrorColumn);

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns
    {
        get
        {
            int k = classifier.Classes.Count;
            var names = new VBuffer<ReadOnlyMemory<char>>(k, classifier.Classes.Select(c => c.AsMemory()).ToArray());
            var slotNames = new DataViewSchema.Annotations.Builder();
            slotNames.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, k), (ref VBuffer<ReadOnlyMemory<char>> v) =>
                names.CopyTo(ref v)
            );
            var keyValues = new DataViewSchema.Annotations.Builder();
            keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, k), (ref VBuffer<ReadOnlyMemory<char>> v) =>
                names.CopyTo(ref v)
            );
            var columns = new List<(string, DataViewType, DataViewSchema.Annotations?)>
            {
                (scoreColumn, new VectorDataViewType(NumberDataViewType.Single, k), slotNames.ToAnnotations()),
                (predictedColumn, new KeyDataViewType(typeof(uint), k), keyValues.ToAnnotations()),
            };
            if (handling == UnreadableImageHandling.Skip)
                columns.Add((errorColumn, TextDataViewType.Instance, null));
            return columns;
        }
    }

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, network.Model.Options.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow)
    {
        var (pixels, errors) = ImageBatch.Decode(inputs, classifier.Preprocessor, handling, firstRow);
        var readable = Enumerable.Range(0, inputs.Count).Where(i => pixels[i] is not null).ToList();
        float[][] scores = [];
        if (readable.Count > 0)
            lock (network.Gate)
                scores = classifier.ScorePixels(readable.Select(i => pixels[i]!).ToList());
        int classes = classifier.Classes.Count;
        var scoreColumn = new object[inputs.Count];
        var labels = new object[inputs.Count];
        for (int i = 0, k = 0; i < inputs.Count; i++)
        {
            if (pixels[i] is null)
            {
                scoreColumn[i] = new VBuffer<float>(classes, ImageBatch.Missing(classes));
                labels[i] = 0u; // the missing key
                continue;
            }
            var s = scores[k++];
            scoreColumn[i] = new VBuffer<float>(s.Length, s);
            labels[i] = (uint)(Array.IndexOf(s, s.Max()) + 1);
        }
        return handling == UnreadableImageHandling.Skip
            ? [scoreColumn, labels, errors.Select(e => (object)(e ?? string.Empty).AsMemory()).ToArray()]
            : [scoreColumn, labels];
    }
}

/// <summary>Image → a report drafted from the network's sentence memory (FINDINGS / IMPRESSION text).</summary>
internal sealed class ReportDraftMapper(
    PriorNetwork network,
    string input,
    string output,
    int batchSize,
    float mean,
    float std,
    UnreadableImageHandling handling = UnreadableImageHandling.Fail,
    string errorColumn = Defaults.ImageErrorColumnName,
    ReportDraftMethod method = Defaults.ReportDraftMethod
) : BatchedColumnMapper
{
    private readonly ImagePreprocessor _preprocessor = new(network.Model.Options.ImageSize, mean, std);

    public string OutputColumnName => output;

    public ReportDraftMethod Method => method;

    public float Mean => mean;

    public float Std => std;

    public UnreadableImageHandling Handling => handling;

    public string ErrorColumnName => errorColumn;

    public ReportDraftMapper WithHandling(UnreadableImageHandling newHandling, string newErrorColumn) =>
        new(network, input, output, batchSize, mean, std, newHandling, newErrorColumn, method);

    public override string InputColumnName => input;

    public override int BatchSize => batchSize;

    public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns =>
        handling == UnreadableImageHandling.Skip
            ? [(output, TextDataViewType.Instance, null), (errorColumn, TextDataViewType.Instance, null)]
            : [(output, TextDataViewType.Instance, null)];

    public override void CheckInput(DataViewSchema inputSchema) => ImageInput.Check(inputSchema, input, network.Model.Options.ImageSize);

    public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column) => ImageInput.Reader(row, column);

    public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow)
    {
        var (pixels, errors) = ImageBatch.Decode(inputs, _preprocessor, handling, firstRow);
        var readable = Enumerable.Range(0, inputs.Count).Where(i => pixels[i] is not null).ToList();
        var drafts = readable.Count > 0 ? network.DraftReports(readable.Select(i => pixels[i]!).ToList(), method) : [];
        var texts = new object[inputs.Count];
        for (int i = 0, k = 0; i < inputs.Count; i++)
            texts[i] = (pixels[i] is not null ? drafts[k++].Text : string.Empty).AsMemory();
        return handling == UnreadableImageHandling.Skip
            ? [texts, errors.Select(e => (object)(e ?? string.Empty).AsMemory()).ToArray()]
            : [texts];
    }
}
