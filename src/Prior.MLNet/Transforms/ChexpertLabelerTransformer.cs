using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Prior.MLNet.Data;
using Prior.MLNet.Text;
using Prior.MLNet.Transforms;

// ML.NET finds this loader by the signature written in the model (no registration call needed in the loading process).
[assembly: LoadableClass(
    typeof(ChexpertLabelerTransformer),
    typeof(ChexpertLabelerTransformer),
    null,
    typeof(SignatureLoadModel),
    "CheXpert report labeler",
    ChexpertLabelerTransformer.LoaderSignature
)]

namespace Prior.MLNet.Transforms;

/// <summary>
/// Adds the 14 CheXpert observation labels of a report (<see cref="ChexpertReportLabeler"/>): a vector of 14 floats in
/// <see cref="ChexpertLabels.Names"/> order (slot names attached), each 1 (positive), 0 (negative), −1 (uncertain) or
/// NaN (not mentioned). The input is a report's text (MIMIC sections are used when present) or a text vector of its
/// sentences. Stateless; saves into an ML.NET model zip and loads back without registration.
/// </summary>
public sealed class ChexpertLabelerTransformer : ITransformer
{
    internal const string LoaderSignature = "PriorChexpertLabeler";
    private readonly LabelMapper _mapper;

    internal BatchedColumnMapper Mapper => _mapper;

    internal ChexpertLabelerTransformer(
        string outputColumnName,
        string inputColumnName,
        ReportLabelConventions conventions = ReportLabelConventions.Chexpert,
        int batchSize = 256
    )
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        _mapper = new LabelMapper(inputColumnName, outputColumnName, new ChexpertReportLabeler(conventions), batchSize);
    }

    /// <summary>Whose rules label the reports (saved with the model).</summary>
    public ReportLabelConventions Conventions => _mapper.Labeler.Conventions;

    /// <summary>The report column read.</summary>
    public string InputColumnName => _mapper.InputColumnName;

    /// <summary>The label vector column written.</summary>
    public string OutputColumnName => _mapper.OutputColumnName;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _mapper.CheckInput(inputSchema);
        return _mapper.OutputSchema(inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _mapper.CheckInput(input.Schema);
        return new BatchedMappingDataView(input, _mapper);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _mapper.CheckInput(inputSchema);
        return new BatchedRowMapper(inputSchema, _mapper);
    }

    private static VersionInfo GetVersionInfo() =>
        new(
            modelSignature: "CXLABELR",
            // 0x00010002: the labelling conventions are saved (models written before label by CheXpert's rules).
            verWrittenCur: 0x00010002,
            verReadableCur: 0x00010002,
            verWeCanReadBack: 0x00010001,
            loaderSignature: LoaderSignature,
            loaderAssemblyName: typeof(ChexpertLabelerTransformer).Assembly.FullName
        );

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write(InputColumnName);
        ctx.Writer.Write(OutputColumnName);
        ctx.Writer.Write(_mapper.BatchSize);
        ctx.Writer.Write((int)Conventions);
    }

    // Called by ML.NET when a model holding this transformer is loaded.
    private static ChexpertLabelerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var input = ctx.Reader.ReadString();
        var output = ctx.Reader.ReadString();
        int batchSize = ctx.Reader.ReadInt32();
        var conventions =
            ctx.Header.ModelVerWritten >= 0x00010002 ? (ReportLabelConventions)ctx.Reader.ReadInt32() : ReportLabelConventions.Chexpert;
        return new ChexpertLabelerTransformer(output, input, conventions, batchSize);
    }

    private sealed class LabelMapper(string input, string output, ChexpertReportLabeler labeler, int batchSize) : BatchedColumnMapper
    {
        public ChexpertReportLabeler Labeler => labeler;

        public string OutputColumnName => output;

        public override string InputColumnName => input;

        public override int BatchSize => batchSize;

        public override IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns
        {
            get
            {
                var annotations = new DataViewSchema.Annotations.Builder();
                var names = new VBuffer<ReadOnlyMemory<char>>(
                    ChexpertLabels.Names.Count,
                    ChexpertLabels.Names.Select(n => n.AsMemory()).ToArray()
                );
                annotations.AddSlotNames(names.Length, (ref VBuffer<ReadOnlyMemory<char>> value) => names.CopyTo(ref value));
                return
                [
                    (output, new VectorDataViewType(NumberDataViewType.Single, ChexpertLabels.Names.Count), annotations.ToAnnotations()),
                ];
            }
        }

        public override void CheckInput(DataViewSchema inputSchema) => ReportInput.Check(inputSchema, input, nameof(inputSchema));

        public override Func<object> InputReader(DataViewRow row, DataViewSchema.Column column)
        {
            if (column.Type is TextDataViewType)
            {
                var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
                return () =>
                {
                    ReadOnlyMemory<char> v = default;
                    getter(ref v);
                    return v.ToString();
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

        public override object[][] Compute(IReadOnlyList<object> inputs, long firstRow) =>
            [
                inputs
                    .Select(i =>
                    {
                        var labels = i is string text ? Labeler.Label(text) : Labeler.LabelSentences((IReadOnlyList<string>)i);
                        return (object)new VBuffer<float>(labels.Length, labels);
                    })
                    .ToArray(),
            ];
    }
}

/// <summary>The estimator of <see cref="ChexpertLabelerTransformer"/>: nothing to learn; <c>Fit</c> checks the schema.</summary>
public sealed class ChexpertLabelerEstimator : IEstimator<ChexpertLabelerTransformer>
{
    private readonly string _output;
    private readonly string _input;
    private readonly ReportLabelConventions _conventions;

    internal ChexpertLabelerEstimator(string outputColumnName, string inputColumnName, ReportLabelConventions conventions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        if (!Enum.IsDefined(conventions))
            throw new ArgumentOutOfRangeException(nameof(conventions), conventions, "Not a report labelling convention.");
        (_output, _input, _conventions) = (outputColumnName, inputColumnName, conventions);
    }

    /// <inheritdoc />
    public ChexpertLabelerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new ChexpertLabelerTransformer(_output, _input, _conventions);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (!inputSchema.TryFindColumn(_input, out var column) || column.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(
                nameof(inputSchema),
                $"Input column '{_input}' must be report text or a text vector of sentences."
            );
        return PriorSchemaShapes.Extend(inputSchema, [new ChexpertLabelerTransformer(_output, _input, _conventions).Mapper]);
    }
}
