using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys.

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// A BERT encoder (or, with <see cref="BertConfig.AddCrossAttention"/>, a BERT-style decoder) under Hugging Face's
/// parameter names — <c>embeddings.*</c> and <c>encoder.layer.N.*</c> — so that Hugging Face checkpoints such as
/// Bio_ClinicalBERT load into it. PRIOR uses only the last hidden state; the pooler exists only to keep checkpoints whole.
/// </summary>
internal sealed class BertModel : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Embeddings.</summary>
    public readonly BertEmbeddings embeddings;

    /// <summary>The layers, under <c>encoder.layer</c>.</summary>
    public readonly BertEncoder encoder;

    /// <summary>Hugging Face's pooler, present only with <see cref="BertConfig.AddPooler"/>; never used by PRIOR.</summary>
    public readonly BertPooler? pooler;

    /// <summary>The configuration.</summary>
    public BertConfig Config { get; }

    /// <summary>Creates the model.</summary>
    public BertModel(BertConfig config)
        : base(nameof(BertModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (config.AddPooler)
            pooler = new BertPooler(config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>
    /// The last hidden state [B, L, H] for token ids [B, L] and an attention mask [B, L] (1 = token, 0 = padding).
    /// Padded keys get the most negative float added to their scores, as Hugging Face does.
    /// </summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        var mask = (1.0 - attentionMask.to_type(ScalarType.Float32)).unsqueeze(1).unsqueeze(2) * float.MinValue;
        return encoder.call(embeddings.call(inputIds), mask, null);
    }

    /// <summary>
    /// Decoder use: runs on input embeddings [B, L, H] with cross-attention to <paramref name="encoderStates"/>;
    /// with <paramref name="causal"/> a position attends only to itself and earlier ones (what the original PRIOR
    /// gets from Hugging Face's <c>is_decoder</c>; PRIOR's non-autoregressive generation does not want it).
    /// </summary>
    public Tensor Decode(Tensor inputsEmbeds, Tensor encoderStates, bool causal = false)
    {
        Tensor? mask = null;
        if (causal)
        {
            long l = inputsEmbeds.shape[1];
            mask = ones(l, l, device: inputsEmbeds.device).triu(1) * float.MinValue;
        }
        return encoder.call(embeddings.EmbedInputs(inputsEmbeds), mask, encoderStates);
    }
}

/// <summary>The stack of layers (<c>encoder.layer.N</c>).</summary>
internal sealed class BertEncoder : nn.Module<Tensor, Tensor?, Tensor?, Tensor>
{
    /// <summary>The layers.</summary>
    public readonly ModuleList<BertLayer> layer;

    /// <summary>Creates the stack.</summary>
    public BertEncoder(BertConfig config)
        : base(nameof(BertEncoder))
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden, Tensor? selfMask, Tensor? encoderStates)
    {
        foreach (var l in layer)
            hidden = l.call(hidden, selfMask, encoderStates);
        return hidden;
    }
}
