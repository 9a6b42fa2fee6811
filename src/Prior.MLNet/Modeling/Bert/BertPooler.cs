using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys.

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// Hugging Face's <c>BertPooler</c>: tanh(dense(first token)). PRIOR never calls it; it is here so that a checkpoint
/// holding <c>pooler.dense.*</c> (the official PRIOR one does) imports strictly and exports unchanged.
/// </summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    /// <summary>The projection of the first token.</summary>
    public readonly Linear dense;

    /// <summary>Creates the pooler for hidden states of width <paramref name="hiddenSize"/>.</summary>
    public BertPooler(int hiddenSize)
        : base(nameof(BertPooler))
    {
        dense = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <summary>tanh(dense(hidden[:, 0])) for hidden states [B, L, H].</summary>
    public override Tensor forward(Tensor hidden) => dense.call(hidden.select(1, 0)).tanh();
}
