using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // weight and bias are the checkpoint keys of a PyTorch Conv2d.

namespace Prior.MLNet.Modeling;

/// <summary>
/// A 2-d convolution that, on the CPU, computes channel counts that are not a multiple of <see cref="ChannelBlock"/>
/// as zero-padded whole blocks, so that libtorch's oneDNN kernels never read past the channels into uninitialised
/// memory. Parameters, keys (<c>weight</c>, <c>bias</c>), initialisation and results are those of
/// <c>nn.Conv2d</c>.
/// <para>
/// Why: with the libtorch 2.10 that TorchSharp 0.107 ships, a float32 k×k convolution (k &gt; 1) on the CPU returns
/// wrong values, or NaN, depending on what the freed memory it reuses held: the forward pass when the input channels
/// are more than one SIMD block and not a multiple of it; the input gradient when the output channels are not a
/// multiple of it, and, at stride 2, also when the input channels are an odd number of blocks above one (the block is
/// 16 floats with AVX-512, 8 with AVX2; measured against float64, docs/troubleshooting.md). The weight gradient was
/// always right. Zeros in the padded channels add nothing to the sums, so the results are unchanged; the padded
/// output channels are cut off again. Up to 8 input channels (a grayscale stem) were always right and are left alone;
/// 9 to 15 are padded although only AVX2 needs it. 1×1 convolutions and CUDA are not affected and run as they are.
/// </para>
/// </summary>
internal sealed class AlignedConv2d : nn.Module<Tensor, Tensor>
{
    /// <summary>The channel multiple computed on the CPU: 16 floats, AVX-512's block (and two of AVX2's).</summary>
    public const int ChannelBlock = 16;

    /// <summary>Kernel [out, in, k, k].</summary>
    public readonly Parameter weight;

    /// <summary>Bias [out], or null.</summary>
    public readonly Parameter? bias;

    private readonly long _stride;
    private readonly long _padding;

    /// <summary>Creates the convolution, initialised exactly as <c>nn.Conv2d</c> with the same arguments would be.</summary>
    public AlignedConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(AlignedConv2d))
    {
        // Drawn by the stock module so that the initialisation, and what it takes from the random stream, stay its own.
        using var stock = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias);
        using (no_grad())
        {
            weight = new Parameter(stock.weight!.detach().clone());
            this.bias = bias ? new Parameter(stock.bias!.detach().clone()) : null;
        }
        _stride = stride;
        _padding = padding;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        long outChannels = weight.shape[0],
            inChannels = weight.shape[1];
        bool exposed = input.device_type == DeviceType.CPU && weight.shape[2] * weight.shape[3] > 1;
        bool inputGradient = exposed && input.requires_grad;
        // The forward reads past the input channels; the input gradient (computed only when the input needs one) reads
        // past the output channels and, when strided, past an odd number of input blocks.
        long inPad =
            !exposed || inChannels <= ChannelBlock / 2
                ? 0
                : PadTo(inChannels, inputGradient && _stride > 1 && inChannels > ChannelBlock ? 2 * ChannelBlock : ChannelBlock);
        long outPad = inputGradient ? PadTo(outChannels, ChannelBlock) : 0;
        if (inPad == 0 && outPad == 0)
            return nn.functional.conv2d(input, weight, bias, strides: [_stride, _stride], padding: [_padding, _padding]);

        Tensor kernel = weight,
            x = input;
        Tensor? shift = bias;
        if (inPad > 0)
        {
            kernel = nn.functional.pad(kernel, [0, 0, 0, 0, 0, inPad]);
            x = nn.functional.pad(x, [0, 0, 0, 0, 0, inPad]);
        }
        if (outPad > 0)
        {
            kernel = nn.functional.pad(kernel, [0, 0, 0, 0, 0, 0, 0, outPad]);
            if (shift is not null)
                shift = nn.functional.pad(shift, [0, outPad]);
        }
        var output = nn.functional.conv2d(x, kernel, shift, strides: [_stride, _stride], padding: [_padding, _padding]);
        return outPad > 0 ? output.narrow(1, 0, outChannels) : output;
    }

    private static long PadTo(long channels, long multiple) => (multiple - channels % multiple) % multiple;
}
