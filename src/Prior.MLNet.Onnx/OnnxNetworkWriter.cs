using Prior.MLNet.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Onnx;

/// <summary>
/// Writes the inference path of PRIOR's modules as ONNX nodes, operation for operation as their TorchSharp
/// <c>forward</c> computes it (eval mode: BatchNorm on running statistics). Shapes keep the batch dimension symbolic:
/// every Reshape copies it with a 0.
/// </summary>
internal static class OnnxNetworkWriter
{
    /// <summary>
    /// The image tower of <paramref name="model"/> on normalised images [N, 1, S, S]: the global embedding [N, E] (not
    /// normalised, as <see cref="PriorModel.EncodeImage"/>) and the local embeddings [N, I, E].
    /// </summary>
    public static (string Global, string Local) ImageEncoder(OnnxGraphBuilder graph, PriorModel model, string image)
    {
        var map = ResNet(graph, model.image_encoder.encoder, image);
        var pool = model.image_encoder.atten_pool;
        var pooled = ImagePool(graph, pool, map);
        var global = Linear(graph, model.global_image_projection, pooled, "global_image_projection");
        var tokens =
            model.Options.LocalFeatureLayout == LocalFeatureLayout.Spatial
                ? graph.Node(
                    "Transpose",
                    [graph.Node("Reshape", [map, graph.Int64s("nc_flat", 0, 0, -1)])],
                    ("perm", new long[] { 0, 2, 1 })
                )
                : graph.Node("Reshape", [map, graph.Int64s("flat_view", 0, -1, model.image_encoder.encoder.OutputChannels)]);
        var local = Linear(graph, model.local_image_projection, tokens, "local_image_projection");
        return (global, local);
    }

    /// <summary>
    /// The report embedding [N, E] (not normalised) of tokenised reports, as <see cref="PriorModel.EmbedReports"/>:
    /// BERT, the local text projection, token → sentence averaging, the prototypes when
    /// <paramref name="usePrototypes"/>, and the sentence attention pooling. Inputs are int64 [N, L].
    /// </summary>
    public static string ReportEncoder(
        OnnxGraphBuilder graph,
        PriorModel model,
        string inputIds,
        string attentionMask,
        string sentenceIndex,
        bool usePrototypes
    )
    {
        var hidden = Bert(graph, model.text_encoder.encoder, inputIds, attentionMask, "text_encoder");
        var tokens = Linear(graph, model.local_text_projection, hidden, "local_text_projection");
        var (sentences, mask) = SentenceGather(graph, tokens, sentenceIndex);
        if (usePrototypes)
        {
            var bank = model.sentence_bank;
            var weight = bank.embed.weight!;
            string logits;
            if (bank.center is null)
                logits = graph.Node("MatMul", [sentences, graph.Weight("sentence_bank.embed_t", weight.t())]);
            else
            {
                // s·cos(x − μ, e − μ): the prototypes' side is a constant, folded with the scale into one matrix.
                using var scope = NewDisposeScope();
                var folded = (nn.functional.normalize(weight - bank.center, p: 2, dim: -1) * bank.LogitScale).t();
                var centered = L2Normalise(graph, graph.Node("Sub", [sentences, graph.Weight("sentence_bank.center", bank.center)]), -1);
                logits = graph.Node("MatMul", [centered, graph.Weight("sentence_bank.cosine_t", folded)]);
            }
            var probabilities = graph.Node(
                "Softmax",
                [graph.Node("Div", [logits, graph.Scalar("temperature", (float)bank.Temperature)])],
                ("axis", -1L)
            );
            sentences = graph.Node("MatMul", [probabilities, graph.Weight("sentence_bank.embed", weight)]);
        }
        return SentencePool(graph, model.global_text_attention, sentences, mask);
    }

    /// <summary>(x − mean) / std.</summary>
    public static string Normalise(OnnxGraphBuilder graph, string x, float mean, float std) =>
        graph.Node("Div", [graph.Node("Sub", [x, graph.Scalar("mean", mean)]), graph.Scalar("std", std)]);

    /// <summary>x / max(‖x‖₂, 1e-12) along <paramref name="axis"/>, as <c>torch.nn.functional.normalize</c>.</summary>
    public static string L2Normalise(OnnxGraphBuilder graph, string x, long axis)
    {
        var norm = graph.Node("ReduceL2", [x], ("axes", new[] { axis }), ("keepdims", 1L));
        return graph.Node("Div", [x, graph.Node("Max", [norm, graph.Scalar("eps", 1e-12f)])]);
    }

    /// <summary>x·Wᵀ + b for x of any rank (MatMul broadcasts the leading dimensions).</summary>
    public static string Linear(OnnxGraphBuilder graph, Linear linear, string x, string name)
    {
        using var scope = NewDisposeScope();
        var y = graph.Node("MatMul", [x, graph.Weight(name + ".weight_t", linear.weight!.t())]);
        return linear.bias is null ? y : graph.Node("Add", [y, graph.Weight(name + ".bias", linear.bias)]);
    }

    // BertModel.forward: embeddings, then the layers with padded keys masked by the most negative float.
    private static string Bert(OnnxGraphBuilder graph, Modeling.Bert.BertModel bert, string inputIds, string attentionMask, string name)
    {
        using var scope = NewDisposeScope();
        var embeddings = bert.embeddings;
        // Token type is always 0, so its embedding joins the position table; the first L rows are taken.
        var positions = embeddings.position_embeddings.weight! + embeddings.token_type_embeddings.weight![0];
        var length = graph.Node("Slice", [graph.Node("Shape", [inputIds]), graph.Int64s("start", 1), graph.Int64s("end", 2)]);
        var positionRows = graph.Node(
            "Slice",
            [graph.Weight(name + ".positions", positions), graph.Int64s("start", 0), length, graph.Int64s("axis", 0)]
        );
        var words = graph.Node(
            "Gather",
            [graph.Weight(name + ".word_embeddings", embeddings.word_embeddings!.weight!), inputIds],
            ("axis", 0L)
        );
        var hidden = LayerNorm(graph, embeddings.LayerNorm, graph.Node("Add", [words, positionRows]), name + ".embeddings.LayerNorm");

        var keep = graph.Node("Cast", [attentionMask], ("to", (long)global::Onnx.TensorProto.Types.DataType.Float));
        var additive = graph.Node("Mul", [graph.Node("Sub", [graph.Scalar("one", 1f), keep]), graph.Scalar("min", float.MinValue)]);
        additive = graph.Node("Unsqueeze", [additive, graph.Int64s("axes", 1, 2)]); // [N, 1, 1, L]
        int index = 0;
        foreach (var layer in bert.encoder.layer)
        {
            if (layer.crossattention is not null)
                throw new NotSupportedException($"{name}: ONNX export covers BERT encoders, not decoders with cross-attention.");
            string prefix = $"{name}.layer.{index++}";
            var attended = SelfAttention(
                graph,
                layer.attention.self,
                hidden,
                additive,
                bert.Config.NumAttentionHeads,
                prefix + ".attention.self"
            );
            attended = ResidualOutput(graph, layer.attention.output, attended, hidden, prefix + ".attention.output");
            var expanded = Gelu(graph, Linear(graph, layer.intermediate.dense, attended, prefix + ".intermediate.dense"));
            hidden = ResidualOutput(graph, layer.output, expanded, attended, prefix + ".output");
        }
        return hidden;
    }

    private static string SelfAttention(
        OnnxGraphBuilder graph,
        Modeling.Bert.BertSelfAttention self,
        string hidden,
        string additiveMask,
        int heads,
        string name
    )
    {
        long width = self.query.weight!.shape[0],
            headDim = width / heads;
        var split = graph.Int64s("heads", 0, 0, heads, headDim);
        var q = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [Linear(graph, self.query, hidden, name + ".query"), split])],
            ("perm", new long[] { 0, 2, 1, 3 })
        );
        var k = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [Linear(graph, self.key, hidden, name + ".key"), split])],
            ("perm", new long[] { 0, 2, 3, 1 })
        );
        var v = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [Linear(graph, self.value, hidden, name + ".value"), split])],
            ("perm", new long[] { 0, 2, 1, 3 })
        );
        var scores = graph.Node("Div", [graph.Node("MatMul", [q, k]), graph.Scalar("sqrt_d", (float)Math.Sqrt(headDim))]);
        var probabilities = graph.Node("Softmax", [graph.Node("Add", [scores, additiveMask])], ("axis", -1L));
        var context = graph.Node("Transpose", [graph.Node("MatMul", [probabilities, v])], ("perm", new long[] { 0, 2, 1, 3 }));
        return graph.Node("Reshape", [context, graph.Int64s("merge", 0, 0, width)]);
    }

    private static string ResidualOutput(
        OnnxGraphBuilder graph,
        Modeling.Bert.BertResidualOutput output,
        string input,
        string residual,
        string name
    ) =>
        LayerNorm(
            graph,
            output.LayerNorm,
            graph.Node("Add", [Linear(graph, output.dense, input, name + ".dense"), residual]),
            name + ".LayerNorm"
        );

    private static string LayerNorm(OnnxGraphBuilder graph, LayerNorm norm, string x, string name) =>
        graph.Node(
            "LayerNormalization",
            [x, graph.Weight(name + ".weight", norm.weight!), graph.Weight(name + ".bias", norm.bias!)],
            ("axis", -1L),
            ("epsilon", norm.eps)
        );

    // GELU in its erf form, x·½(1 + erf(x/√2)) (opset 17 has no Gelu operator).
    private static string Gelu(OnnxGraphBuilder graph, string x)
    {
        var erf = graph.Node("Erf", [graph.Node("Div", [x, graph.Scalar("sqrt2", (float)Math.Sqrt(2))])]);
        return graph.Node("Mul", [graph.Node("Mul", [x, graph.Scalar("half", 0.5f)]), graph.Node("Add", [erf, graph.Scalar("one", 1f)])]);
    }

    // SentenceGather.Gather: sentence t (1..T, T the largest index in the batch, at least 1) is the mean of its tokens.
    private static (string Sentences, string Mask) SentenceGather(OnnxGraphBuilder graph, string tokens, string sentenceIndex)
    {
        var largest = graph.Node("Max", [graph.Node("ReduceMax", [sentenceIndex], ("keepdims", 0L)), graph.Int64Scalar("one", 1)]);
        var ids = graph.Node(
            "Range",
            [graph.Int64Scalar("first", 1), graph.Node("Add", [largest, graph.Int64Scalar("one", 1)]), graph.Int64Scalar("step", 1)]
        );
        var membership = graph.Node(
            "Cast",
            [graph.Node("Equal", [graph.Node("Unsqueeze", [sentenceIndex, graph.Int64s("axes", -1)]), ids])],
            ("to", (long)global::Onnx.TensorProto.Types.DataType.Float)
        ); // [N, L, T]
        var sums = graph.Node("MatMul", [graph.Node("Transpose", [membership], ("perm", new long[] { 0, 2, 1 })), tokens]); // [N, T, D]
        var counts = graph.Node("ReduceSum", [membership, graph.Int64s("axes", 1)], ("keepdims", 0L)); // [N, T]
        var sentences = graph.Node(
            "Div",
            [sums, graph.Node("Unsqueeze", [graph.Node("Max", [counts, graph.Scalar("one", 1f)]), graph.Int64s("axes", -1)])]
        );
        return (sentences, graph.Node("Greater", [counts, graph.Scalar("zero", 0f)]));
    }

    // SentenceAttentionPool.forward: the masked mean sentence first, then attention pooling over the real sentences.
    private static string SentencePool(OnnxGraphBuilder graph, SentenceAttentionPool pool, string sentences, string mask)
    {
        var weights = graph.Node(
            "Unsqueeze",
            [graph.Node("Cast", [mask], ("to", (long)global::Onnx.TensorProto.Types.DataType.Float)), graph.Int64s("axes", -1)]
        );
        var total = graph.Node("ReduceSum", [graph.Node("Mul", [sentences, weights]), graph.Int64s("axes", 1)], ("keepdims", 1L));
        var count = graph.Node(
            "Max",
            [graph.Node("ReduceSum", [weights, graph.Int64s("axes", 1)], ("keepdims", 1L)), graph.Scalar("one", 1f)]
        );
        var tokens = graph.Node("Concat", [graph.Node("Div", [total, count]), sentences], ("axis", 1L));
        // The mean token is always attended: its mask entry is (count > 0) or true.
        var first = graph.Node("Slice", [mask, graph.Int64s("start", 0), graph.Int64s("end", 1), graph.Int64s("axis", 1)]);
        var keyMask = graph.Node("Concat", [graph.Node("Or", [first, graph.Node("Not", [first])]), mask], ("axis", 1L));
        return AttentionPool(
            graph,
            tokens,
            pool.q_proj,
            pool.k_proj,
            pool.v_proj,
            pool.c_proj,
            pool.Heads,
            "global_text_attention",
            keyMask
        );
    }

    private static string ResNet(OnnxGraphBuilder graph, ResNetEncoder resnet, string x)
    {
        x = graph.Node("Relu", [BatchNorm(graph, resnet.bn1, Conv(graph, resnet.conv1, x, "conv1"), "bn1")]);
        x = graph.Node(
            "MaxPool",
            [x],
            ("kernel_shape", new long[] { 3, 3 }),
            ("strides", new long[] { 2, 2 }),
            ("pads", new long[] { 1, 1, 1, 1 })
        );
        foreach (
            var (layerName, layer) in new[]
            {
                ("layer1", resnet.layer1),
                ("layer2", resnet.layer2),
                ("layer3", resnet.layer3),
                ("layer4", resnet.layer4),
            }
        )
        foreach (var (index, block) in layer.named_children())
            x = Block(graph, block, x, $"{layerName}.{index}");
        return x;
    }

    private static string Block(OnnxGraphBuilder graph, TorchSharp.torch.nn.Module block, string x, string name)
    {
        string y;
        Sequential? downsample;
        switch (block)
        {
            case ResNetEncoder.BasicBlock basic:
                y = graph.Node("Relu", [BatchNorm(graph, basic.bn1, Conv(graph, basic.conv1, x, name + ".conv1"), name + ".bn1")]);
                y = BatchNorm(graph, basic.bn2, Conv(graph, basic.conv2, y, name + ".conv2"), name + ".bn2");
                downsample = basic.downsample;
                break;
            case ResNetEncoder.BottleneckBlock bottleneck:
                y = graph.Node(
                    "Relu",
                    [BatchNorm(graph, bottleneck.bn1, Conv(graph, bottleneck.conv1, x, name + ".conv1"), name + ".bn1")]
                );
                y = graph.Node(
                    "Relu",
                    [BatchNorm(graph, bottleneck.bn2, Conv(graph, bottleneck.conv2, y, name + ".conv2"), name + ".bn2")]
                );
                y = BatchNorm(graph, bottleneck.bn3, Conv(graph, bottleneck.conv3, y, name + ".conv3"), name + ".bn3");
                downsample = bottleneck.downsample;
                break;
            default:
                throw new NotSupportedException(
                    $"{name}: ONNX export knows ResNet's basic and bottleneck blocks, not {block.GetType().Name}."
                );
        }
        var shortcut = x;
        if (downsample is not null)
        {
            var parts = downsample.named_children().ToDictionary(c => c.name, c => c.module);
            shortcut = BatchNorm(
                graph,
                (BatchNorm2d)parts["1"],
                Conv(graph, (Conv2d)parts["0"], x, name + ".downsample.0"),
                name + ".downsample.1"
            );
        }
        return graph.Node("Relu", [graph.Node("Add", [y, shortcut])]);
    }

    private static string Conv(OnnxGraphBuilder graph, Conv2d conv, string x, string name)
    {
        if (conv.padding is null || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            throw new NotSupportedException($"{name}: only explicit zero padding is exported.");
        var inputs = new List<string> { x, graph.Weight(name + ".weight", conv.weight!) };
        if (conv.bias is not null)
            inputs.Add(graph.Weight(name + ".bias", conv.bias));
        long[] pad = conv.padding;
        return graph.Node(
            "Conv",
            [.. inputs],
            ("kernel_shape", conv.kernel_size),
            ("strides", conv.stride),
            ("dilations", conv.dilation),
            ("pads", new[] { pad[0], pad[1], pad[0], pad[1] }),
            ("group", conv.groups)
        );
    }

    private static string BatchNorm(OnnxGraphBuilder graph, BatchNorm2d bn, string x, string name) =>
        graph.Node(
            "BatchNormalization",
            [
                x,
                graph.Weight(name + ".weight", bn.weight!),
                graph.Weight(name + ".bias", bn.bias!),
                graph.Weight(name + ".running_mean", bn.running_mean!),
                graph.Weight(name + ".running_var", bn.running_var!),
            ],
            ("epsilon", bn.eps)
        );

    // AttentionPool2d.forward: flatten the map into tokens, prepend their mean, add the positional embedding, pool.
    private static string ImagePool(OnnxGraphBuilder graph, AttentionPool2d pool, string map)
    {
        var tokens = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [map, graph.Int64s("nc_flat", 0, 0, -1)])],
            ("perm", new long[] { 0, 2, 1 })
        );
        var mean = graph.Node("ReduceMean", [tokens], ("axes", new long[] { 1 }), ("keepdims", 1L));
        tokens = graph.Node("Concat", [mean, tokens], ("axis", 1L));
        tokens = graph.Node("Add", [tokens, graph.Weight("atten_pool.positional_embedding", pool.positional_embedding)]);
        return AttentionPool(graph, tokens, pool.q_proj, pool.k_proj, pool.v_proj, pool.c_proj, pool.Heads, "atten_pool");
    }

    /// <summary>
    /// <see cref="AttentionPooling.Pool"/>: token 0 queries the tokens [N, L, C] (those true in the bool
    /// <paramref name="keyMask"/> [N, L], or all) with <paramref name="heads"/>-head attention (queries scaled by
    /// head_dim^-½), then the output projection.
    /// </summary>
    public static string AttentionPool(
        OnnxGraphBuilder graph,
        string tokens,
        Linear q,
        Linear k,
        Linear v,
        Linear c,
        int heads,
        string name,
        string? keyMask = null
    )
    {
        long channels = q.weight!.shape[1],
            headDim = channels / heads;
        var first = graph.Node("Slice", [tokens, graph.Int64s("start", 0), graph.Int64s("end", 1), graph.Int64s("axis", 1)]);
        var query = graph.Node(
            "Mul",
            [Linear(graph, q, first, name + ".q_proj"), graph.Scalar("head_scale", (float)Math.Pow(headDim, -0.5))]
        );
        var heads4 = graph.Int64s("heads", 0, -1, heads, headDim);
        query = graph.Node("Transpose", [graph.Node("Reshape", [query, heads4])], ("perm", new long[] { 0, 2, 1, 3 })); // [N, h, 1, hd]
        var key = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [Linear(graph, k, tokens, name + ".k_proj"), heads4])],
            ("perm", new long[] { 0, 2, 3, 1 })
        ); // [N, h, hd, L]
        var value = graph.Node(
            "Transpose",
            [graph.Node("Reshape", [Linear(graph, v, tokens, name + ".v_proj"), heads4])],
            ("perm", new long[] { 0, 2, 1, 3 })
        ); // [N, h, L, hd]
        var scores = graph.Node("MatMul", [query, key]); // [N, h, 1, L]
        if (keyMask is not null)
            scores = graph.Node(
                "Where",
                [
                    graph.Node("Unsqueeze", [keyMask, graph.Int64s("axes", 1, 2)]),
                    scores,
                    graph.Scalar("minus_infinity", float.NegativeInfinity),
                ]
            );
        var weights = graph.Node("Softmax", [scores], ("axis", -1L));
        // [N, 1, h, hd]
        var pooled = graph.Node("Transpose", [graph.Node("MatMul", [weights, value])], ("perm", new long[] { 0, 2, 1, 3 }));
        pooled = graph.Node("Reshape", [pooled, graph.Int64s("pooled", 0, channels)]);
        return Linear(graph, c, pooled, name + ".c_proj");
    }
}
