using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (decoders/image.py).

namespace Prior.MLNet.Modeling;

/// <summary>
/// PRIOR's conditional image reconstruction decoder: blocks that each upsample ×2 (nearest) and apply
/// (Conv3×3 no bias + BatchNorm + ReLU) ×2, halving the channels, with no skip connections; then a Conv3×3 head
/// to one channel. The paper: 1536 channels in, 5 blocks, 7 → 224 px.
/// </summary>
internal sealed class ImageDecoder : nn.Module<Tensor, Tensor>
{
    /// <summary>The upsampling blocks.</summary>
    public readonly ModuleList<ImageDecoderBlock> blocks;

    /// <summary>The output convolution (key <c>output_head.0</c>).</summary>
    public readonly Sequential output_head;

    /// <summary>Creates a decoder for <paramref name="inChannels"/> input channels and <paramref name="blockCount"/> blocks.</summary>
    public ImageDecoder(int inChannels, int blockCount)
        : base(nameof(ImageDecoder))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        if (inChannels >> blockCount < 1)
            throw new ArgumentException($"{inChannels} channels cannot be halved {blockCount} times.", nameof(inChannels));
        blocks = new ModuleList<ImageDecoderBlock>(
            Enumerable.Range(0, blockCount).Select(k => new ImageDecoderBlock(inChannels >> k, inChannels >> (k + 1))).ToArray()
        );
        // Aligned: one output channel, and the last blocks' few channels at small sizes, are where libtorch's CPU kernels read past the
        // data.
        output_head = nn.Sequential(("0", new AlignedConv2d(inChannels >> blockCount, 1, 3, padding: 1)));
        RegisterComponents();
    }

    /// <summary>Decodes z [B, C, h, w] into an image [B, 1, h·2^blocks, w·2^blocks].</summary>
    public override Tensor forward(Tensor z)
    {
        foreach (var block in blocks)
            z = block.call(z);
        return output_head.call(z);
    }
}

/// <summary>One decoder block: nearest ×2 upsampling, then <c>conv1</c> and <c>conv2</c> (each Conv3×3, BatchNorm, ReLU).</summary>
internal sealed class ImageDecoderBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>First convolution, BatchNorm, ReLU (keys <c>conv1.0</c>, <c>conv1.1</c>).</summary>
    public readonly Sequential conv1;

    /// <summary>Second convolution, BatchNorm, ReLU.</summary>
    public readonly Sequential conv2;

    /// <summary>Creates the block.</summary>
    public ImageDecoderBlock(int inChannels, int outChannels)
        : base(nameof(ImageDecoderBlock))
    {
        conv1 = nn.Sequential(
            ("0", new AlignedConv2d(inChannels, outChannels, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(outChannels)),
            ("2", nn.ReLU())
        );
        conv2 = nn.Sequential(
            ("0", new AlignedConv2d(outChannels, outChannels, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(outChannels)),
            ("2", nn.ReLU())
        );
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor z)
    {
        var up = nn.functional.interpolate(z, size: [z.shape[2] * 2, z.shape[3] * 2], mode: InterpolationMode.Nearest);
        return conv2.call(conv1.call(up));
    }
}
