using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Prior.MLNet.Onnx;

/// <summary>
/// Writes one ONNX graph node by node: graph inputs and outputs, weights as initializers (raw little-endian float32),
/// and nodes whose single output gets a fresh name. Operators are those of the default domain at
/// <see cref="Opset"/>; reductions there take their axes as an attribute, except ReduceSum (an input since 13).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The operator set every exported graph declares. 17: the reductions' axes are attributes, LayerNormalization
    /// exists.</summary>
    public const int Opset = 17;

    /// <summary>ONNX IR version 8 goes with opset 17.</summary>
    public const int IrVersion = 8;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraphBuilder(string name) => _graph = new GraphProto { Name = name };

    /// <summary>Declares a float32 graph input; a string dimension is symbolic (the batch), a number is fixed.</summary>
    public string Input(string name, params object[] dims)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return name;
    }

    /// <summary>Declares an int64 graph input (token ids, masks).</summary>
    public string Int64Input(string name, params object[] dims)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Int64, dims));
        return name;
    }

    /// <summary>Names <paramref name="value"/> as the float32 graph output <paramref name="name"/> (through an Identity).</summary>
    public void Output(string name, string value, params object[] dims)
    {
        Claim(name);
        _graph.Node.Add(
            new NodeProto
            {
                OpType = "Identity",
                Name = name + "_identity",
                Input = { value },
                Output = { name },
            }
        );
        _graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
    }

    /// <summary>A float32 initializer holding a copy of <paramref name="tensor"/> (any device, any float dtype).</summary>
    public string Weight(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var scope = NewDisposeScope();
        var host = tensor.detach().to_type(ScalarType.Float32).cpu().contiguous();
        return Floats(name, host.data<float>().ToArray(), host.shape);
    }

    /// <summary>A float32 initializer of <paramref name="values"/> with shape <paramref name="dims"/>.</summary>
    public string Floats(string name, float[] values, params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException(
                $"{name}: {values.Length} values do not fill the shape [{string.Join(", ", dims)}].",
                nameof(values)
            );
        name = Unique(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw data is little-endian.");
        proto.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>A scalar float32 constant.</summary>
    public string Scalar(string name, float value) => Floats(name, [value]);

    /// <summary>A scalar (rank 0) int64 constant, for operators such as Range that want scalars.</summary>
    public string Int64Scalar(string name, long value)
    {
        name = Unique(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Int64Data.Add(value);
        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>An int64 initializer (shapes, axes, indices).</summary>
    public string Int64s(string name, params long[] values)
    {
        name = Unique(name);
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        _graph.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds a node of <paramref name="op"/> and returns its (only) output's name.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes)
    {
        string output = Unique(op.ToLowerInvariant());
        var node = new NodeProto
        {
            OpType = op,
            Name = output,
            Output = { output },
        };
        node.Input.AddRange(inputs);
        foreach (var (name, value) in attributes)
            node.Attribute.Add(Attribute(name, value));
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>The finished model, with <paramref name="metadata"/> as its metadata properties.</summary>
    public ModelProto Build(string description, IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Prior.MLNet",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "",
            DocString = description,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static AttributeProto Attribute(string name, object value) =>
        value switch
        {
            int i => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Int,
                I = i,
            },
            long l => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Int,
                I = l,
            },
            float f => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Float,
                F = f,
            },
            double d => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Float,
                F = (float)d,
            },
            long[] ls => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Ints,
                Ints = { ls },
            },
            int[] ints => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.Ints,
                Ints = { ints.Select(i => (long)i) },
            },
            string s => new AttributeProto
            {
                Name = name,
                Type = AttributeProto.Types.AttributeType.String,
                S = ByteString.CopyFromUtf8(s),
            },
            _ => throw new ArgumentException($"Attribute {name}: unsupported value type {value?.GetType().Name ?? "null"}.", nameof(value)),
        };

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(
                dim switch
                {
                    string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                    int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                    long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                    _ => throw new ArgumentException(
                        $"{name}: a dimension is a symbol or a size, not {dim?.GetType().Name ?? "null"}.",
                        nameof(dims)
                    ),
                }
            );
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape },
            },
        };
    }

    private void Claim(string name)
    {
        if (!_names.Add(name))
            throw new InvalidOperationException($"The graph already has a value named {name}.");
    }

    private string Unique(string stem)
    {
        string name;
        do name = $"{stem}_{_counter++}";
        while (!_names.Add(name));
        return name;
    }
}
