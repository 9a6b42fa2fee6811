using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys.

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// One BERT layer (Hugging Face <c>BertLayer</c>): self-attention, optional cross-attention to encoder states
/// (<c>crossattention</c>), then the feed-forward <c>intermediate.dense</c> (GELU, erf form) and <c>output</c>.
/// </summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>Self-attention.</summary>
    public readonly BertAttention attention;

    /// <summary>Cross-attention, present in decoders only.</summary>
    public readonly BertAttention? crossattention;

    /// <summary>Feed-forward expansion.</summary>
    public readonly BertIntermediate intermediate;

    /// <summary>Feed-forward projection back, residual and LayerNorm.</summary>
    public readonly BertResidualOutput output;

    /// <summary>Creates the layer.</summary>
    public BertLayer(BertConfig config)
        : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        if (config.AddCrossAttention)
            crossattention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    /// <summary>Runs the layer on <paramref name="hidden"/>; <paramref name="encoderStates"/> feed the cross-attention.</summary>
    public override Tensor forward(Tensor hidden, Tensor? selfMask, Tensor? encoderStates)
    {
        var attended = attention.call(hidden, null, selfMask);
        if (crossattention is not null)
        {
            if (encoderStates is null)
                throw new ArgumentNullException(nameof(encoderStates), "A decoder layer needs encoder states to attend to.");
            attended = crossattention.call(attended, encoderStates, null);
        }
        return output.call(intermediate.call(attended), attended);
    }
}

/// <summary>The feed-forward expansion with GELU (<c>intermediate.dense</c>).</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    /// <summary>Expansion to the intermediate width.</summary>
    public readonly Linear dense;

    /// <summary>Creates the sub-layer.</summary>
    public BertIntermediate(BertConfig config)
        : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden) => nn.functional.gelu(dense.call(hidden));
}
