using Prior.MLNet.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Export;

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
        var tokens = model.Options.LocalFeatureLayout == LocalFeatureLayout.Spatial
            ? graph.Node("Transpose", [graph.Node("Reshape", [map, graph.Int64s("nc_flat", 0, 0, -1)])], ("perm", new long[] { 0, 2, 1 }))
            : graph.Node("Reshape", [map, graph.Int64s("flat_view", 0, -1, model.image_encoder.encoder.OutputChannels)]);
        var local = Linear(graph, model.local_image_projection, tokens, "local_image_projection");
        return (global, local);
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

    private static string ResNet(OnnxGraphBuilder graph, ResNetEncoder resnet, string x)
    {
        x = graph.Node("Relu", [BatchNorm(graph, resnet.bn1, Conv(graph, resnet.conv1, x, "conv1"), "bn1")]);
        x = graph.Node("MaxPool", [x], ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
        foreach (var (layerName, layer) in new[] { ("layer1", resnet.layer1), ("layer2", resnet.layer2), ("layer3", resnet.layer3), ("layer4", resnet.layer4) })
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
                y = graph.Node("Relu", [BatchNorm(graph, bottleneck.bn1, Conv(graph, bottleneck.conv1, x, name + ".conv1"), name + ".bn1")]);
                y = graph.Node("Relu", [BatchNorm(graph, bottleneck.bn2, Conv(graph, bottleneck.conv2, y, name + ".conv2"), name + ".bn2")]);
                y = BatchNorm(graph, bottleneck.bn3, Conv(graph, bottleneck.conv3, y, name + ".conv3"), name + ".bn3");
                downsample = bottleneck.downsample;
                break;
            default:
                throw new NotSupportedException($"{name}: ONNX export knows ResNet's basic and bottleneck blocks, not {block.GetType().Name}.");
        }
        var shortcut = x;
        if (downsample is not null)
        {
            var parts = downsample.named_children().ToDictionary(c => c.name, c => c.module);
            shortcut = BatchNorm(graph, (BatchNorm2d)parts["1"], Conv(graph, (Conv2d)parts["0"], x, name + ".downsample.0"), name + ".downsample.1");
        }
        return graph.Node("Relu", [graph.Node("Add", [y, shortcut])]);
    }

    private static string Conv(OnnxGraphBuilder graph, Conv2d conv, string x, string name)
    {
        if (conv.padding is null || conv.padding_mode != TorchSharp.PaddingModes.Zeros)
            throw new NotSupportedException($"{name}: only explicit zero padding is exported.");
        var inputs = new List<string> { x, graph.Weight(name + ".weight", conv.weight!) };
        if (conv.bias is not null) inputs.Add(graph.Weight(name + ".bias", conv.bias));
        long[] pad = conv.padding;
        return graph.Node("Conv", [.. inputs],
            ("kernel_shape", conv.kernel_size), ("strides", conv.stride), ("dilations", conv.dilation),
            ("pads", new[] { pad[0], pad[1], pad[0], pad[1] }), ("group", conv.groups));
    }

    private static string BatchNorm(OnnxGraphBuilder graph, BatchNorm2d bn, string x, string name) =>
        graph.Node("BatchNormalization",
            [x, graph.Weight(name + ".weight", bn.weight!), graph.Weight(name + ".bias", bn.bias!),
             graph.Weight(name + ".running_mean", bn.running_mean!), graph.Weight(name + ".running_var", bn.running_var!)],
            ("epsilon", bn.eps));

    // AttentionPool2d.forward: flatten the map into tokens, prepend their mean, add the positional embedding, pool.
    private static string ImagePool(OnnxGraphBuilder graph, AttentionPool2d pool, string map)
    {
        var tokens = graph.Node("Transpose", [graph.Node("Reshape", [map, graph.Int64s("nc_flat", 0, 0, -1)])], ("perm", new long[] { 0, 2, 1 }));
        var mean = graph.Node("ReduceMean", [tokens], ("axes", new long[] { 1 }), ("keepdims", 1L));
        tokens = graph.Node("Concat", [mean, tokens], ("axis", 1L));
        tokens = graph.Node("Add", [tokens, graph.Weight("atten_pool.positional_embedding", pool.positional_embedding)]);
        return AttentionPool(graph, tokens, pool.q_proj, pool.k_proj, pool.v_proj, pool.c_proj, pool.Heads, "atten_pool");
    }

    /// <summary>
    /// <see cref="AttentionPooling.Pool"/> without a key mask: token 0 queries all tokens [N, L, C] with
    /// <paramref name="heads"/>-head attention (queries scaled by head_dim^-½), then the output projection.
    /// </summary>
    public static string AttentionPool(OnnxGraphBuilder graph, string tokens, Linear q, Linear k, Linear v, Linear c, int heads, string name)
    {
        long channels = q.weight!.shape[1], headDim = channels / heads;
        var first = graph.Node("Slice", [tokens, graph.Int64s("start", 0), graph.Int64s("end", 1), graph.Int64s("axis", 1)]);
        var query = graph.Node("Mul", [Linear(graph, q, first, name + ".q_proj"), graph.Scalar("head_scale", (float)Math.Pow(headDim, -0.5))]);
        var heads4 = graph.Int64s("heads", 0, -1, heads, headDim);
        query = graph.Node("Transpose", [graph.Node("Reshape", [query, heads4])], ("perm", new long[] { 0, 2, 1, 3 }));  // [N, h, 1, hd]
        var key = graph.Node("Transpose", [graph.Node("Reshape", [Linear(graph, k, tokens, name + ".k_proj"), heads4])], ("perm", new long[] { 0, 2, 3, 1 }));    // [N, h, hd, L]
        var value = graph.Node("Transpose", [graph.Node("Reshape", [Linear(graph, v, tokens, name + ".v_proj"), heads4])], ("perm", new long[] { 0, 2, 1, 3 }));  // [N, h, L, hd]
        var weights = graph.Node("Softmax", [graph.Node("MatMul", [query, key])], ("axis", -1L));
        var pooled = graph.Node("Transpose", [graph.Node("MatMul", [weights, value])], ("perm", new long[] { 0, 2, 1, 3 }));          // [N, 1, h, hd]
        pooled = graph.Node("Reshape", [pooled, graph.Int64s("pooled", 0, channels)]);
        return Linear(graph, c, pooled, name + ".c_proj");
    }
}
