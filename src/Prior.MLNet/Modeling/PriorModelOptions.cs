using Prior.MLNet.Modeling.Bert;
using Prior.MLNet.Modeling.Losses;
using Prior.MLNet.Training;

namespace Prior.MLNet.Modeling;

/// <summary>
/// Every size of the PRIOR network. Presets: <see cref="Paper"/> (ResNet-50, 12-layer BERT of width 768, 512
/// prototypes, 224 px, embedding 768), <see cref="Small"/> (CPU-friendly: ResNet-18-like, 4-layer BERT of width 256,
/// 128 px) and <see cref="Tiny"/> (for tests: a step in well under a second on 2 cores). The text vocabulary size
/// comes from the tokenizer (<see cref="BertConfig.VocabSize"/> is replaced when the model is built).
/// </summary>
internal sealed record PriorModelOptions
{
    /// <summary>Width of every joint embedding (global, local, sentence, prototype). Multiple of 16.</summary>
    public int EmbeddingDim { get; init; } = 768;

    /// <summary>Input image height and width; a multiple of 32 (the ResNet stride).</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>ResNet block kind.</summary>
    public ResNetBlock ResNetBlock { get; init; } = ResNetBlock.Bottleneck;

    /// <summary>ResNet blocks per stage.</summary>
    public IReadOnlyList<int> ResNetLayers { get; init; } = [3, 4, 6, 3];

    /// <summary>
    /// ResNet stem width (64 in torchvision): 16 or a multiple of 32, so that every 3×3 convolution of the ResNet has
    /// channel counts libtorch's CPU kernels compute right (a strided one with 48, 80 … input channels does not; see
    /// <see cref="AlignedConv2d"/>).
    /// </summary>
    public int ResNetWidth { get; init; } = 64;

    /// <summary>Heads of the image and report attention pooling (8 in PRIOR).</summary>
    public int PoolingHeads { get; init; } = 8;

    /// <summary>The text encoder (Bio_ClinicalBERT-sized by default).</summary>
    public BertConfig Text { get; init; } = new();

    /// <summary>Token cap per report, CLS and SEP included (256 in PRIOR).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Prototypes in the sentence bank (512 in PRIOR).</summary>
    public int Prototypes { get; init; } = 512;

    /// <summary>Gumbel-softmax temperature of the bank (0.9).</summary>
    public double PrototypeTemperature { get; init; } = 0.9;

    /// <summary>
    /// How the bank scores sentences against prototypes. Default <see cref="Modeling.PrototypeLogits.DotProduct"/>, the
    /// original's (what its checkpoints were trained with, and what model files written before this option mean);
    /// <see cref="Modeling.PrototypeLogits.CenteredCosine"/> keeps the bank from collapsing (docs/training.md).
    /// </summary>
    public PrototypeLogits PrototypeLogits { get; init; } = PrototypeLogits.DotProduct;

    /// <summary>The scale s of <see cref="Modeling.PrototypeLogits.CenteredCosine"/> logits (10; unused by the dot product).</summary>
    public double PrototypeLogitScale { get; init; } = 10;

    /// <summary>Sentences a report is cut to for prototype generation, and the decoder's query count (16).</summary>
    public int GeneratedSentences { get; init; } = 16;

    /// <summary>The prototype decoder (its width is <see cref="EmbeddingDim"/>; 8 layers in PRIOR).</summary>
    public BertConfig SentenceDecoder { get; init; } =
        new(VocabSize: 0, NumHiddenLayers: 8, NumAttentionHeads: 12, AddCrossAttention: true);

    /// <summary>How the last feature map becomes patches (<see cref="Modeling.LocalFeatureLayout.Spatial"/> for new training).</summary>
    public LocalFeatureLayout LocalFeatureLayout { get; init; } = LocalFeatureLayout.Spatial;

    /// <summary>Channel dropout on the local image map before reconstruction (the "masking", 0.5).</summary>
    public double ReconstructionDropout { get; init; } = 0.5;

    /// <summary>
    /// The prototype decoder's self-attention. False (default): every query slot sees every other, as the paper's
    /// non-autoregressive generation intends (our fix). True: the causal mask the original gets by accident from
    /// Hugging Face's <c>is_decoder</c>, which the official weights were trained with (selected on import).
    /// </summary>
    public bool DecoderCausalMask { get; init; }

    /// <summary>
    /// Which permutation of the decoder's predictions stage 3 compares with the sentence prototypes.
    /// <see cref="Losses.PrototypeMatching.Matched"/> (default, our fix) or the original's
    /// <see cref="Losses.PrototypeMatching.OriginalIndexing"/> (selected when the official checkpoint is imported).
    /// </summary>
    public PrototypeMatching PrototypeMatching { get; init; } = PrototypeMatching.Matched;

    /// <summary>
    /// Stage 3's prototype generation losses (L_spg, L_kl, L_gpa) treat the report side as a fixed target: the sentence
    /// prototypes, the bank's distribution over the real sentences and the report embedding are detached, so these losses
    /// train the decoder and the image tower to predict the report and never move the text tower toward the predictions.
    /// False (default): the original's, where they do. Measured (<c>prior pretrain --gradient-shares</c>): in stage 3 the
    /// text-tower gradients of L_gpa and L_kl point against the global alignment's (cosine about −0.75).
    /// </summary>
    public bool DetachGenerationTargets { get; init; }

    /// <summary>
    /// In stages 2–3, keep stage 1's global alignment of the images with the reports pooled from the raw sentence
    /// vectors (a "globalRaw" term, weighted as the global term of the stage) beside the original's alignment through
    /// the bank's prototypes. The bank-free report embedding, which zero-shot prompts and retrieval use when the bank
    /// is bypassed, then stays trained. False (default): the original's, where after stage 1 only the prototype path
    /// is aligned.
    /// </summary>
    public bool KeepRawGlobalAlignment { get; init; }

    /// <summary>
    /// In stages 2–3, the local alignment (the cross-attention between image regions and sentences, L_local's two
    /// terms, and stage 3's reconstruction context) takes the raw sentence vectors, as in stage 1, instead of the bank's
    /// prototypes. Zero-shot scoring runs the same cross-attention on the prompts' raw sentence vectors when the bank
    /// is bypassed, so this keeps what it was trained on. False (default): the original's, where after stage 1 the
    /// local alignment sees only prototypes.
    /// </summary>
    public bool KeepRawLocalAlignment { get; init; }

    /// <summary>
    /// In stages 2–3 the bank assigns detached sentence vectors, so nothing that goes through the prototypes (the
    /// prototype loss, the global term on the prototype path, stage 3's generation) moves the text tower: the bank,
    /// the pooling and the image tower learn from them, the text tower only from the raw terms. Meant with
    /// <see cref="KeepRawGlobalAlignment"/> (else the text tower stops learning after stage 1). False (default): the original's.
    /// </summary>
    public bool ShieldTextTowerFromBank { get; init; }

    /// <summary>
    /// In stages 2–3, the factor on the gradient the image tower receives from the global term through the bank's
    /// prototypes (the loss itself is unchanged; the bank, the pooling and the text side get their full gradient).
    /// Measured (<c>prior pretrain --gradient-shares</c>): in stage 2 that term's image-tower gradient is about 3× the raw
    /// global term's and nearly orthogonal to it (cosine 0.2), so it steers the image embedding that bank-free
    /// zero-shot scoring and retrieval use. 1 (default): the original's; 0 leaves the image tower to the other terms.
    /// </summary>
    public double PrototypePathImageGradient { get; init; } = 1;

    /// <summary>
    /// Stages 2–3 train only what they add — the sentence bank, the image decoder, the prototype decoder and its
    /// queries — on detached features, and every module stage 1 trains (both towers, the report pooling, the local
    /// alignment, the temperatures) gets exactly stage 1's gradient: its global and local terms on the raw, bank-free
    /// embeddings of every sentence, with stage 1's weights (stage 3's tenfold weight of the global term is not applied
    /// to it). The bank's and the decoders' random draws come from a side stream and the trainer continues stage 1's
    /// data order, so with <see cref="Training.StageSchedule.Continuous"/> and one optimizer for the run those modules
    /// end where as many epochs of stage 1 alone take them (bit for bit on the CPU; tested), and the bank and the
    /// generation heads (which <c>PriorReportDraft</c> uses) learn beside them. Implies
    /// <see cref="KeepRawGlobalAlignment"/>, <see cref="KeepRawLocalAlignment"/>, <see cref="ShieldTextTowerFromBank"/>,
    /// <see cref="DetachGenerationTargets"/> and a <see cref="PrototypePathImageGradient"/> of 0, and also keeps the
    /// prototype path's global term and L_gpa off the pooling's weights and the temperature, and stage 3's
    /// reconstruction and generation off the image tower and the local alignment. Measured at demo scale
    /// (docs/training.md): every gradient those terms send into the towers cost retrieval. False (default): the
    /// original's coupled training, where stages 2–3 reshape the towers.
    /// </summary>
    public bool DecoupledPrototypeStages { get; init; }

    /// <summary>The paper's sizes.</summary>
    public static PriorModelOptions Paper { get; } = new();

    /// <summary>A CPU-friendly model: ResNet-18-like at width 32, 4-layer BERT of width 256, 128 px, embedding 256.</summary>
    public static PriorModelOptions Small { get; } =
        new()
        {
            EmbeddingDim = 256,
            ImageSize = 128,
            ResNetBlock = ResNetBlock.Basic,
            ResNetLayers = [2, 2, 2, 2],
            ResNetWidth = 32,
            Text = new BertConfig(
                HiddenSize: 256,
                NumHiddenLayers: 4,
                NumAttentionHeads: 4,
                IntermediateSize: 1024,
                MaxPositionEmbeddings: 256
            ),
            MaxTokens = 128,
            Prototypes = 128,
            SentenceDecoder = new BertConfig(
                VocabSize: 0,
                HiddenSize: 256,
                NumHiddenLayers: 2,
                NumAttentionHeads: 4,
                IntermediateSize: 512,
                MaxPositionEmbeddings: 64,
                AddCrossAttention: true
            ),
        };

    /// <summary>For tests: 64 px, one block per ResNet stage at width 16, 2-layer BERT of width 64, embedding 64.</summary>
    public static PriorModelOptions Tiny { get; } =
        new()
        {
            EmbeddingDim = 64,
            ImageSize = 64,
            ResNetBlock = ResNetBlock.Basic,
            ResNetLayers = [1, 1, 1, 1],
            ResNetWidth = 16,
            PoolingHeads = 4,
            Text = new BertConfig(
                HiddenSize: 64,
                NumHiddenLayers: 2,
                NumAttentionHeads: 2,
                IntermediateSize: 128,
                MaxPositionEmbeddings: 128
            ),
            MaxTokens = 96,
            Prototypes = 32,
            GeneratedSentences = 16,
            SentenceDecoder = new BertConfig(
                VocabSize: 0,
                HiddenSize: 64,
                NumHiddenLayers: 1,
                NumAttentionHeads: 2,
                IntermediateSize: 128,
                MaxPositionEmbeddings: 32,
                AddCrossAttention: true
            ),
        };

    /// <summary>A preset by name: <c>paper</c>, <c>small</c> or <c>tiny</c>.</summary>
    public static PriorModelOptions FromPreset(string name) => FromPreset(PriorPresets.Parse(name));

    /// <summary>The sizes of <paramref name="preset"/>.</summary>
    public static PriorModelOptions FromPreset(PriorPreset preset) =>
        preset switch
        {
            PriorPreset.Paper => Paper,
            PriorPreset.Small => Small,
            PriorPreset.Tiny => Tiny,
            _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "unknown preset; use Tiny, Small or Paper"),
        };

    /// <summary>Throws naming the first inconsistent size.</summary>
    public void Validate()
    {
        if (EmbeddingDim < 16 || EmbeddingDim % 16 != 0)
            throw new ArgumentOutOfRangeException(
                nameof(EmbeddingDim),
                EmbeddingDim,
                "EmbeddingDim must be a positive multiple of 16 (the image decoder halves 2·EmbeddingDim five times)."
            );
        if (ImageSize < 32 || ImageSize % 32 != 0)
            throw new ArgumentOutOfRangeException(
                nameof(ImageSize),
                ImageSize,
                "ImageSize must be a positive multiple of 32 (the ResNet stride)."
            );
        if (ResNetWidth != 16 && (ResNetWidth < 32 || ResNetWidth % 32 != 0))
            throw new ArgumentOutOfRangeException(
                nameof(ResNetWidth),
                ResNetWidth,
                "ResNetWidth must be 16 or a positive multiple of 32: libtorch's CPU convolutions compute wrong values or NaN for other "
                    + "channel counts (see AlignedConv2d; docs/troubleshooting.md)."
            );
        if (!(PrototypePathImageGradient >= 0 && PrototypePathImageGradient <= 1))
            throw new ArgumentOutOfRangeException(
                nameof(PrototypePathImageGradient),
                PrototypePathImageGradient,
                "PrototypePathImageGradient must be between 0 and 1."
            );
        if (EmbeddingDim % PoolingHeads != 0)
            throw new ArgumentException($"PoolingHeads ({PoolingHeads}) must divide EmbeddingDim ({EmbeddingDim}).");
        if (MaxTokens < 3 || MaxTokens > Text.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(
                nameof(MaxTokens),
                MaxTokens,
                $"MaxTokens must be in [3, Text.MaxPositionEmbeddings = {Text.MaxPositionEmbeddings}]."
            );
        if (SentenceDecoder.HiddenSize != EmbeddingDim || !SentenceDecoder.AddCrossAttention)
            throw new ArgumentException($"SentenceDecoder must have HiddenSize = EmbeddingDim ({EmbeddingDim}) and cross-attention.");
        if (GeneratedSentences < 1 || GeneratedSentences > SentenceDecoder.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(
                nameof(GeneratedSentences),
                GeneratedSentences,
                "GeneratedSentences must be in [1, SentenceDecoder.MaxPositionEmbeddings]."
            );
        if (Prototypes < 1)
            throw new ArgumentOutOfRangeException(nameof(Prototypes), Prototypes, "must be at least 1");
        if (!Enum.IsDefined(PrototypeMatching))
            throw new ArgumentOutOfRangeException(nameof(PrototypeMatching), PrototypeMatching, "unknown matching");
        if (!Enum.IsDefined(LocalFeatureLayout))
            throw new ArgumentOutOfRangeException(nameof(LocalFeatureLayout), LocalFeatureLayout, "unknown layout");
        if (ReconstructionDropout is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(ReconstructionDropout), ReconstructionDropout, "must be in [0, 1)");
        Text.Validate();
        SentenceDecoder.Validate();
    }
}
