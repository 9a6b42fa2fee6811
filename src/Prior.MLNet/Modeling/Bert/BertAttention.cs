using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys.

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// BERT attention with its output sub-layer (Hugging Face <c>BertAttention</c>: <c>self.{query,key,value}</c> and
/// <c>output.{dense,LayerNorm}</c>). Serves self-attention and, in a decoder, cross-attention to encoder states.
/// </summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>Query, key and value projections.</summary>
    public readonly BertSelfAttention self;

    /// <summary>Output projection, dropout, residual and LayerNorm.</summary>
    public readonly BertResidualOutput output;

    /// <summary>Creates the attention block.</summary>
    public BertAttention(BertConfig config)
        : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    /// <summary>
    /// Attends from <paramref name="hidden"/> [B, L, H] to <paramref name="keyValues"/> (default: itself), adding
    /// <paramref name="additiveMask"/> (broadcastable to [B, heads, L, Lk]) to the scores.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor? keyValues, Tensor? additiveMask) =>
        output.call(self.call(hidden, keyValues, additiveMask), hidden);
}

/// <summary>Scaled dot-product multi-head attention with separate query/key/value projections (<c>attention.self</c>).</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>Query projection.</summary>
    public readonly Linear query;

    /// <summary>Key projection.</summary>
    public readonly Linear key;

    /// <summary>Value projection.</summary>
    public readonly Linear value;
    private readonly Dropout dropout;
    private readonly int _heads;

    /// <summary>Creates the projections.</summary>
    public BertSelfAttention(BertConfig config)
        : base(nameof(BertSelfAttention))
    {
        config.Validate();
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        _heads = config.NumAttentionHeads;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden, Tensor? keyValues, Tensor? additiveMask)
    {
        var source = keyValues ?? hidden;
        long b = hidden.shape[0],
            l = hidden.shape[1],
            lk = source.shape[1],
            h = hidden.shape[2],
            d = h / _heads;
        var q = query.call(hidden).view(b, l, _heads, d).transpose(1, 2);
        var k = key.call(source).view(b, lk, _heads, d).transpose(1, 2);
        var v = value.call(source).view(b, lk, _heads, d).transpose(1, 2);
        var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(d);
        if (additiveMask is not null)
            scores = scores + additiveMask;
        var probabilities = dropout.call(scores.softmax(-1));
        return probabilities.matmul(v).transpose(1, 2).reshape(b, l, h);
    }
}
