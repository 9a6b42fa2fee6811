using Prior.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // image_encoder follows PriorModel's name, so that its ResNet's weights load by name.

namespace Prior.MLNet.Downstream;

/// <summary>
/// A one-stage, anchor-free detector in the style of FCOS on PRIOR's ResNet. A feature pyramid merges the encoder's
/// layer1 … layer4 maps top-down (1×1 lateral convolutions to a common width, upsample and add) into one map at stride
/// <see cref="Stride"/> (4: the small boxes of chest radiographs at 64–224 pixels cover a handful of cells there); a
/// shared tower of two 3×3 convolution–BatchNorm–ReLU blocks (FCOS uses group norm; see below) feeds three 3×3 heads per location: a class
/// logit
/// (lung opacity), four log-distances to the box's left, top, right and bottom edges in units of the stride, and a
/// centredness logit, all six from one convolution. The ResNet sits under <see cref="PriorModel"/>'s name (<c>image_encoder.encoder</c>) so
/// pretrained weights copy over by name.
/// <para>
/// Two departures from FCOS: the three heads are one six-channel convolution, and the tower normalises with
/// BatchNorm rather than group norm, because TorchSharp 0.107's <c>nn.GroupNorm</c> starts its scale and shift
/// uninitialised (values like ±1e18 were seen) where PyTorch starts them at 1 and 0.
/// </para>
/// </summary>
internal sealed class DetectionNetwork : nn.Module<Tensor, DetectionNetwork.Output>
{
    /// <summary>Pixels between neighbouring locations of the output map.</summary>
    public const int Stride = 4;

    /// <summary>The prior probability the class logit's bias starts at (RetinaNet's 0.01, so that early training is not swamped by the many
    /// background locations).</summary>
    public const double PriorProbability = 0.01;

    /// <summary>The heads' outputs for images [N, 1, S, S], each at S / <see cref="Stride"/>.</summary>
    /// <param name="ClassLogits">[N, 1, H, W].</param>
    /// <param name="LogDistances">[N, 4, H, W]: log of (left, top, right, bottom) distances in strides.</param>
    /// <param name="CentrednessLogits">[N, 1, H, W].</param>
    public readonly record struct Output(Tensor ClassLogits, Tensor LogDistances, Tensor CentrednessLogits);

    /// <summary>ResNet (its attention pooling is unused here, kept so names match the pretrained network).</summary>
    public readonly ImageEncoder image_encoder;

    /// <summary>1×1 convolutions from layer1 … layer4 to the pyramid's width.</summary>
    public readonly ModuleList<Conv2d> lateral;

    /// <summary>3×3 convolution over the merged map.</summary>
    public readonly Conv2d smooth;

    /// <summary>The shared head tower.</summary>
    public readonly Sequential tower;

    /// <summary>One 3×3 convolution to the six outputs per location: class logit, four log-distances, centredness logit
    /// (aligned: six output channels are where libtorch's CPU backward reads past the data).</summary>
    public readonly AlignedConv2d heads;

    /// <summary>Builds the network for <paramref name="options"/>' image sizes, from random weights (the heads as FCOS starts
    /// them).</summary>
    public DetectionNetwork(PriorModelOptions options)
        : base(nameof(DetectionNetwork))
    {
        ArgumentNullException.ThrowIfNull(options);
        image_encoder = new ImageEncoder(options);
        var channels = image_encoder.encoder.StageChannels; // stem, layer1 … layer4
        int width = Width(channels);
        lateral = new ModuleList<Conv2d>(Enumerable.Range(1, 4).Select(s => nn.Conv2d(channels[s], width, 1)).ToArray());
        smooth = nn.Conv2d(width, width, 3, padding: 1);
        tower = nn.Sequential(
            ("0", nn.Conv2d(width, width, 3, padding: 1)),
            ("1", nn.BatchNorm2d(width)),
            ("2", nn.ReLU()),
            ("3", nn.Conv2d(width, width, 3, padding: 1)),
            ("4", nn.BatchNorm2d(width)),
            ("5", nn.ReLU())
        );
        heads = new AlignedConv2d(width, 6, 3, padding: 1);
        RegisterComponents();
        using var noGrad = no_grad();
        nn.init.normal_(heads.weight, 0, 0.01);
        nn.init.zeros_(heads.bias!);
        heads.bias![0].fill_(-Math.Log((1 - PriorProbability) / PriorProbability));
    }

    /// <summary>The pyramid's width: layer2's channels, kept within 32 … 256 (32 for the tiny preset, 256 for ResNet-50).</summary>
    private static int Width(IReadOnlyList<int> channels) => Math.Clamp(channels[2], 32, 256);

    /// <summary>Copies the ResNet of <paramref name="pretrained"/> by name; returns how many tensors were copied.</summary>
    public int LoadEncoder(PriorModel pretrained) => ImageClassifierNetwork.CopyByName(this, pretrained, "image_encoder.encoder.");

    /// <summary>The ResNet's parameters, for freezing or a lower learning rate.</summary>
    public IEnumerable<Parameter> EncoderParameters() => image_encoder.encoder.parameters();

    /// <summary>The pyramid's and heads' parameters.</summary>
    public IEnumerable<Parameter> HeadParameters() =>
        lateral.parameters().Concat(smooth.parameters()).Concat(tower.parameters()).Concat(heads.parameters());

    /// <inheritdoc />
    public override Output forward(Tensor images)
    {
        var stages = image_encoder.encoder.Stages(images);
        var x = lateral[3].call(stages[4]);
        for (int s = 3; s >= 1; s--)
        {
            var skip = lateral[s - 1].call(stages[s]);
            x = skip + nn.functional.interpolate(x, size: [skip.shape[2], skip.shape[3]], mode: InterpolationMode.Nearest);
        }
        var outputs = heads.call(tower.call(smooth.call(x)));
        return new Output(outputs.narrow(1, 0, 1), outputs.narrow(1, 1, 4), outputs.narrow(1, 5, 1));
    }
}
