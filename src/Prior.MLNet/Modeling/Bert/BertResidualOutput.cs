using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys (LayerNorm keeps its TF capitalisation).

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// Dense to the hidden width, dropout, then LayerNorm of the residual sum: Hugging Face's <c>BertSelfOutput</c>
/// (<c>attention.output</c>, from the hidden width) and <c>BertOutput</c> (<c>output</c>, from the intermediate
/// width) are this same block.
/// </summary>
internal sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Projection to the hidden width.</summary>
    public readonly Linear dense;

    /// <summary>LayerNorm of the residual sum.</summary>
    public readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the block for inputs of width <paramref name="inFeatures"/>.</summary>
    public BertResidualOutput(int inFeatures, BertConfig config)
        : base(nameof(BertResidualOutput))
    {
        ArgumentNullException.ThrowIfNull(config);
        dense = nn.Linear(inFeatures, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input, Tensor residual) => LayerNorm.call(dropout.call(dense.call(input)) + residual);
}
