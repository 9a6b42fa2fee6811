using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (global_text_attention.*).

namespace Prior.MLNet.Modeling;

/// <summary>
/// PRIOR's report pooling (<c>global_text_attention</c>): the CLIP-style attention pooling of
/// <see cref="AttentionPool2d"/> over a report's sentence vectors, without positional embedding. Batched: sentences
/// [B, T, D] with a mask [B, T] of real sentences; each report is pooled over its own sentences only, so the
/// result equals pooling each report alone.
/// </summary>
internal sealed class SentenceAttentionPool : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Key projection.</summary>
    public readonly Linear k_proj;

    /// <summary>Query projection.</summary>
    public readonly Linear q_proj;

    /// <summary>Value projection.</summary>
    public readonly Linear v_proj;

    /// <summary>Output projection.</summary>
    public readonly Linear c_proj;

    private readonly int _heads;

    /// <summary>Attention heads.</summary>
    internal int Heads => _heads;

    /// <summary>Creates the pooling for sentence vectors of width <paramref name="embedDim"/>.</summary>
    public SentenceAttentionPool(int embedDim, int numHeads, int? outputDim = null)
        : base(nameof(SentenceAttentionPool))
    {
        if (numHeads < 1 || embedDim % numHeads != 0)
            throw new ArgumentException($"numHeads ({numHeads}) must be positive and divide embedDim ({embedDim}).", nameof(numHeads));
        _heads = numHeads;
        k_proj = nn.Linear(embedDim, embedDim);
        q_proj = nn.Linear(embedDim, embedDim);
        v_proj = nn.Linear(embedDim, embedDim);
        c_proj = nn.Linear(embedDim, outputDim ?? embedDim);
        RegisterComponents();
    }

    /// <summary>Pools sentences [B, T, D] with mask [B, T] (bool; every report needs at least one sentence) into [B, D].</summary>
    public override Tensor forward(Tensor sentences, Tensor mask) => Pool(sentences, mask, frozenWeights: false);

    /// <summary>
    /// The same pooling with this module's weights held fixed: the gradient reaches <paramref name="sentences"/> but
    /// not the weights (for a loss that may train what feeds the pooling but not the pooling itself).
    /// </summary>
    public Tensor ForwardFrozen(Tensor sentences, Tensor mask) => Pool(sentences, mask, frozenWeights: true);

    private Tensor Pool(Tensor sentences, Tensor mask, bool frozenWeights)
    {
        using var scope = NewDisposeScope();
        var weights = mask.to_type(sentences.dtype).unsqueeze(-1);
        var mean = (sentences * weights).sum(1, keepdim: true) / weights.sum(1, keepdim: true).clamp_min(1);
        var tokens = cat([mean, sentences], 1);
        var keyMask = cat([ones(mask.shape[0], 1, dtype: ScalarType.Bool, device: mask.device), mask.to_type(ScalarType.Bool)], 1);
        return AttentionPooling.Pool(tokens, keyMask, q_proj, k_proj, v_proj, c_proj, _heads, frozenWeights).MoveToOuterDisposeScope();
    }
}
