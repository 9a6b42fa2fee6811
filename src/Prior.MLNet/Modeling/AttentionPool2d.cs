using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (CLIP-style, PyTorch naming).

namespace Prior.MLNet.Modeling;

/// <summary>
/// CLIP-style attention pooling of a feature map (PRIOR's <c>image_encoder.atten_pool</c>, after open_clip's
/// <c>AttentionPool2d</c>): the H·W positions are flattened into tokens, their mean is prepended, a learned
/// positional embedding is added, and multi-head attention with the mean token as the only query gives the
/// pooled vector. Input [N, C, H, W], output [N, outputDim].
/// </summary>
internal sealed class AttentionPool2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Positional embedding [H·W + 1, C].</summary>
    public readonly Parameter positional_embedding;

    /// <summary>Key projection C → C.</summary>
    public readonly Linear k_proj;

    /// <summary>Query projection C → C.</summary>
    public readonly Linear q_proj;

    /// <summary>Value projection C → C.</summary>
    public readonly Linear v_proj;

    /// <summary>Output projection C → outputDim.</summary>
    public readonly Linear c_proj;

    private readonly int _heads;

    /// <summary>Attention heads.</summary>
    internal int Heads => _heads;

    /// <summary>Creates the pooling for a <paramref name="spatialDim"/>² map of <paramref name="embedDim"/> channels.</summary>
    /// <param name="spatialDim">Height (= width) of the feature map: 7 for 224 px input to ResNet-50.</param>
    /// <param name="embedDim">Channels C: 2048 for ResNet-50.</param>
    /// <param name="numHeads">Attention heads; must divide <paramref name="embedDim"/>. PRIOR uses 8.</param>
    /// <param name="outputDim">Output width; default <paramref name="embedDim"/>.</param>
    public AttentionPool2d(int spatialDim, int embedDim, int numHeads, int? outputDim = null)
        : base(nameof(AttentionPool2d))
    {
        if (spatialDim < 1)
            throw new ArgumentOutOfRangeException(nameof(spatialDim), spatialDim, "must be at least 1");
        if (numHeads < 1 || embedDim % numHeads != 0)
            throw new ArgumentException($"numHeads ({numHeads}) must be positive and divide embedDim ({embedDim}).", nameof(numHeads));
        _heads = numHeads;
        positional_embedding = nn.Parameter(randn(spatialDim * spatialDim + 1, embedDim) / Math.Sqrt(embedDim));
        k_proj = nn.Linear(embedDim, embedDim);
        q_proj = nn.Linear(embedDim, embedDim);
        v_proj = nn.Linear(embedDim, embedDim);
        c_proj = nn.Linear(embedDim, outputDim ?? embedDim);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var tokens = input.flatten(2).permute(0, 2, 1); // [N, HW, C]
        tokens = cat([tokens.mean([1], keepdim: true), tokens], 1); // [N, HW+1, C]
        tokens = tokens + positional_embedding.unsqueeze(0);
        return AttentionPooling.Pool(tokens, null, q_proj, k_proj, v_proj, c_proj, _heads).MoveToOuterDisposeScope();
    }
}
