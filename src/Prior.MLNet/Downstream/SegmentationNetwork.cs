using Prior.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // image_encoder follows PriorModel's name, so that its ResNet's weights load by name.

namespace Prior.MLNet.Downstream;

/// <summary>
/// A U-Net on PRIOR's ResNet: the encoder's five stage maps (strides 2 … 32) feed a decoder that doubles the
/// resolution four times, each time concatenating the encoder's map of that size and applying two 3×3
/// convolution–BatchNorm–ReLU blocks, then a last doubling to the input's size and a 1×1 convolution to one logit per
/// pixel. The ResNet sits under <see cref="PriorModel"/>'s name (<c>image_encoder.encoder</c>) so pretrained weights
/// copy over by name.
/// </summary>
internal sealed class SegmentationNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>ResNet (its attention pooling is unused here, kept so names match the pretrained network).</summary>
    public readonly ImageEncoder image_encoder;

    /// <summary>The decoder's four upsampling blocks, coarse to fine.</summary>
    public readonly ModuleList<Sequential> decoder;

    /// <summary>Full-resolution refinement and the per-pixel logit.</summary>
    public readonly Sequential output;

    /// <summary>Builds the network for <paramref name="options"/>' image sizes, from random weights.</summary>
    public SegmentationNetwork(PriorModelOptions options)
        : base(nameof(SegmentationNetwork))
    {
        ArgumentNullException.ThrowIfNull(options);
        image_encoder = new ImageEncoder(options);
        var channels = image_encoder.encoder.StageChannels; // stem, layer1 … layer4
        var blocks = new List<Sequential>();
        int current = channels[4];
        for (int skip = 3; skip >= 0; skip--)
        {
            int width = Math.Max(channels[skip], 16);
            blocks.Add(ConvBlock(current + channels[skip], width));
            current = width;
        }
        decoder = new ModuleList<Sequential>(blocks.ToArray());
        output = nn.Sequential(("0", ConvBlock(current, current)), ("1", nn.Conv2d(current, 1, 1)));
        RegisterComponents();
    }

    private static Sequential ConvBlock(int inChannels, int outChannels) =>
        nn.Sequential(
            ("0", nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(outChannels)),
            ("2", nn.ReLU()),
            ("3", nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false)),
            ("4", nn.BatchNorm2d(outChannels)),
            ("5", nn.ReLU())
        );

    /// <summary>Copies the ResNet of <paramref name="pretrained"/> by name; returns how many tensors were copied.</summary>
    public int LoadEncoder(PriorModel pretrained) => ImageClassifierNetwork.CopyByName(this, pretrained, "image_encoder.encoder.");

    /// <summary>The ResNet's parameters, for freezing or a lower learning rate.</summary>
    public IEnumerable<Parameter> EncoderParameters() => image_encoder.encoder.parameters();

    /// <summary>The decoder's parameters.</summary>
    public IEnumerable<Parameter> DecoderParameters() => decoder.parameters().Concat(output.parameters());

    /// <summary>Per-pixel logits [N, 1, S, S] for images [N, 1, S, S].</summary>
    public override Tensor forward(Tensor images)
    {
        var stages = image_encoder.encoder.Stages(images);
        var x = stages[4];
        for (int i = 0; i < 4; i++)
        {
            var skip = stages[3 - i];
            x = nn.functional.interpolate(x, size: [skip.shape[2], skip.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            x = decoder[i].call(cat([x, skip], 1));
        }
        x = nn.functional.interpolate(x, size: [images.shape[2], images.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        return output.call(x);
    }
}
