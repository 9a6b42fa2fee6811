using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are torchvision's ResNet checkpoint keys (conv1, bn1, layer1..4).

namespace Prior.MLNet.Modeling;

/// <summary>The residual block of a <see cref="ResNetEncoder"/>.</summary>
internal enum ResNetBlock
{
    /// <summary>Two 3×3 convolutions (ResNet-18/34), expansion 1.</summary>
    Basic,

    /// <summary>1×1, 3×3, 1×1 convolutions (ResNet-50), expansion 4.</summary>
    Bottleneck,
}

/// <summary>
/// A one-channel ResNet without its classifier, under torchvision's parameter names (<c>conv1</c>, <c>bn1</c>,
/// <c>layer1</c> … <c>layer4</c>, blocks <c>N.conv1</c>, <c>N.downsample.0</c> …) so that torchvision and
/// <c>prior_resnet50.pt</c> weights load (ImageNet's RGB conv1 summed over its colour axis gives the 1-channel conv1).
/// Output: the last feature map [B, C, H/32, W/32].
/// </summary>
internal sealed class ResNetEncoder : nn.Module<Tensor, Tensor>
{
    /// <summary>7×7 stride-2 stem convolution, one input channel.</summary>
    public readonly Conv2d conv1;

    /// <summary>Stem BatchNorm.</summary>
    public readonly BatchNorm2d bn1;

    /// <summary>Stage 1 (stride 1).</summary>
    public readonly Sequential layer1;

    /// <summary>Stage 2 (stride 2).</summary>
    public readonly Sequential layer2;

    /// <summary>Stage 3 (stride 2).</summary>
    public readonly Sequential layer3;

    /// <summary>Stage 4 (stride 2).</summary>
    public readonly Sequential layer4;

    /// <summary>Channels of the output map.</summary>
    public int OutputChannels { get; }

    /// <summary>Creates the encoder.</summary>
    /// <param name="block">Residual block kind.</param>
    /// <param name="layers">Blocks per stage, e.g. [3, 4, 6, 3] for ResNet-50, [2, 2, 2, 2] for ResNet-18.</param>
    /// <param name="width">Channels of the stem and stage 1 (64 in torchvision).</param>
    public ResNetEncoder(ResNetBlock block, IReadOnlyList<int> layers, int width = 64)
        : base(nameof(ResNetEncoder))
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != 4 || layers.Any(n => n < 1))
            throw new ArgumentException($"layers must hold four positive block counts; got [{string.Join(", ", layers)}].", nameof(layers));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        int expansion = block == ResNetBlock.Basic ? 1 : 4;
        conv1 = nn.Conv2d(1, width, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(width);
        int inChannels = width;
        Sequential Stage(int planes, int count, int stride)
        {
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int i = 0; i < count; i++)
            {
                int s = i == 0 ? stride : 1;
                blocks.Add(
                    (
                        i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        block == ResNetBlock.Basic ? new BasicBlock(inChannels, planes, s) : new BottleneckBlock(inChannels, planes, s)
                    )
                );
                inChannels = planes * expansion;
            }
            return nn.Sequential(blocks);
        }
        var channels = new List<int> { width };
        layer1 = Stage(width, layers[0], 1);
        channels.Add(inChannels);
        layer2 = Stage(width * 2, layers[1], 2);
        channels.Add(inChannels);
        layer3 = Stage(width * 4, layers[2], 2);
        channels.Add(inChannels);
        layer4 = Stage(width * 8, layers[3], 2);
        channels.Add(inChannels);
        StageChannels = channels;
        OutputChannels = inChannels;
        RegisterComponents();
    }

    /// <summary>
    /// The feature map of every stage, fine to coarse, for decoders with skip connections: the stem after its ReLU
    /// (stride 2), then layer1 … layer4 (strides 4, 8, 16, 32). The last equals <see cref="forward"/>'s output.
    /// </summary>
    public IReadOnlyList<Tensor> Stages(Tensor image)
    {
        var stem = nn.functional.relu(bn1.call(conv1.call(image)));
        var x1 = layer1.call(nn.functional.max_pool2d(stem, 3, 2, 1));
        var x2 = layer2.call(x1);
        var x3 = layer3.call(x2);
        return [stem, x1, x2, x3, layer4.call(x3)];
    }

    /// <summary>Channels of each map <see cref="Stages"/> returns.</summary>
    public IReadOnlyList<int> StageChannels { get; private set; } = [];

    /// <inheritdoc />
    public override Tensor forward(Tensor image)
    {
        var x = nn.functional.max_pool2d(nn.functional.relu(bn1.call(conv1.call(image))), 3, 2, 1);
        return layer4.call(layer3.call(layer2.call(layer1.call(x))));
    }

    /// <summary>
    /// Multiply-adds of one image's forward pass through every convolution (stem, blocks, shortcuts) at
    /// <paramref name="height"/> × <paramref name="width"/> pixels: the usual measure of a ResNet's cost (torchvision
    /// lists 4.09 G for its three-channel ResNet-50 with the classifier at 224 px). BatchNorm, ReLU, pooling and the
    /// additions are not counted. Twice this is the forward pass's floating-point operations.
    /// </summary>
    public long MultiplyAdds(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        long total = 0;
        // out = floor((in + 2·padding − kernel) / stride) + 1, per axis; the cost is one multiply-add per weight per output pixel.
        (int H, int W) Convolve(Conv2d conv, (int H, int W) size, int stride, int padding)
        {
            var shape = conv.weight!.shape; // [out, in, kh, kw]
            var output = ((size.H + 2 * padding - (int)shape[2]) / stride + 1, (size.W + 2 * padding - (int)shape[3]) / stride + 1);
            total += shape[0] * shape[1] * shape[2] * shape[3] * output.Item1 * output.Item2;
            return output;
        }
        var map = Convolve(conv1, (height, width), 2, 3);
        map = ((map.H - 1) / 2 + 1, (map.W - 1) / 2 + 1); // max pool 3×3, stride 2, padding 1
        foreach (var layer in new[] { layer1, layer2, layer3, layer4 })
        {
            foreach (var child in layer.children())
            {
                var input = map;
                Sequential? downsample;
                int stride;
                switch (child)
                {
                    case BasicBlock basic:
                        stride = (int)basic.conv1.stride[0];
                        map = Convolve(basic.conv2, Convolve(basic.conv1, input, stride, 1), 1, 1);
                        downsample = basic.downsample;
                        break;
                    case BottleneckBlock bottleneck:
                        stride = (int)bottleneck.conv2.stride[0];
                        map = Convolve(
                            bottleneck.conv3,
                            Convolve(bottleneck.conv2, Convolve(bottleneck.conv1, input, 1, 0), stride, 1),
                            1,
                            0
                        );
                        downsample = bottleneck.downsample;
                        break;
                    default:
                        throw new InvalidOperationException($"Unexpected block {child.GetType().Name}.");
                }
                if (downsample is not null)
                    Convolve((Conv2d)downsample.children().First(), input, stride, 0);
            }
        }
        return total;
    }

    private static Sequential? Downsample(int inChannels, int outChannels, int stride) =>
        stride == 1 && inChannels == outChannels
            ? null
            : nn.Sequential(("0", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("1", nn.BatchNorm2d(outChannels)));

    /// <summary>
    /// A block's shortcut: <paramref name="x"/> itself, or the downsample's 1×1 convolution and BatchNorm — computed as
    /// the same convolution at stride 1 on every stride-th pixel, which is the same arithmetic. libtorch 2.10's oneDNN
    /// crashes the process (SIGFPE in its brgemm blocking heuristic) in the backward pass of some 1×1 stride-2
    /// convolutions — ResNet-50's layer3 shortcut at 224 px, 512 → 1024 channels at 28 × 28, batch 4, on AVX-512 and
    /// AVX2 CPUs — while the stride-1 form takes another kernel. The module keeps its stride, so state dicts and the
    /// ONNX export (a strided Conv) are unchanged.
    /// </summary>
    internal static Tensor Shortcut(Sequential? downsample, Tensor x)
    {
        if (downsample is null)
            return x;
        var parts = downsample.children().ToArray();
        var conv = (Conv2d)parts[0];
        var norm = (BatchNorm2d)parts[1];
        var input = conv.stride.All(s => s == 1) ? x : x.slice(2, 0, x.shape[2], conv.stride[0]).slice(3, 0, x.shape[3], conv.stride[1]);
        return norm.call(nn.functional.conv2d(input, conv.weight!, conv.bias));
    }

    /// <summary>torchvision's BasicBlock.</summary>
    internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        public readonly Conv2d conv1;
        public readonly BatchNorm2d bn1;
        public readonly Conv2d conv2;
        public readonly BatchNorm2d bn2;
        public readonly Sequential? downsample;

        public BasicBlock(int inChannels, int planes, int stride)
            : base(nameof(BasicBlock))
        {
            conv1 = nn.Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
            downsample = Downsample(inChannels, planes, stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = bn2.call(conv2.call(nn.functional.relu(bn1.call(conv1.call(x)))));
            return nn.functional.relu(y + Shortcut(downsample, x));
        }
    }

    /// <summary>torchvision's Bottleneck (stride on the 3×3 convolution, as torchvision v1.5).</summary>
    internal sealed class BottleneckBlock : nn.Module<Tensor, Tensor>
    {
        public readonly Conv2d conv1;
        public readonly BatchNorm2d bn1;
        public readonly Conv2d conv2;
        public readonly BatchNorm2d bn2;
        public readonly Conv2d conv3;
        public readonly BatchNorm2d bn3;
        public readonly Sequential? downsample;

        public BottleneckBlock(int inChannels, int planes, int stride)
            : base(nameof(BottleneckBlock))
        {
            conv1 = nn.Conv2d(inChannels, planes, 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
            conv3 = nn.Conv2d(planes, planes * 4, 1, bias: false);
            bn3 = nn.BatchNorm2d(planes * 4);
            downsample = Downsample(inChannels, planes * 4, stride);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = nn.functional.relu(bn1.call(conv1.call(x)));
            y = nn.functional.relu(bn2.call(conv2.call(y)));
            y = bn3.call(conv3.call(y));
            return nn.functional.relu(y + Shortcut(downsample, x));
        }
    }
}
