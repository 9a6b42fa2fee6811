using System.Text.RegularExpressions;
using Prior.MLNet.Modeling;
using Prior.MLNet.Modeling.Bert;
using static TorchSharp.torch;

namespace Prior.MLNet.Interop;

/// <summary>
/// Reads a PRIOR network's sizes from the shapes in its state dict: embedding width, ResNet kind, depth and width,
/// image size (from the attention pool's positional embedding), BERT sizes, prototype count and decoder sizes.
/// Head counts, which shapes cannot show, come from a preset.
/// </summary>
internal static partial class CheckpointShapes
{
    [GeneratedRegex(@"^layer([1-4])\.(\d+)\.")]
    private static partial Regex ResNetBlock();

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex BertLayer();

    /// <summary>Block kind, blocks per stage and stem width of torchvision-named ResNet weights (keys without prefix).</summary>
    public static (ResNetBlock Block, int[] Layers, int Width) ResNet(IReadOnlyDictionary<string, Tensor> resnet, string source)
    {
        var conv1 = Required(resnet, "conv1.weight", source);
        var layers = new int[4];
        foreach (var key in resnet.Keys)
        {
            if (ResNetBlock().Match(key) is { Success: true } m)
            {
                int stage = int.Parse(m.Groups[1].Value) - 1,
                    index = int.Parse(m.Groups[2].Value);
                layers[stage] = Math.Max(layers[stage], index + 1);
            }
        }
        if (layers.Any(l => l == 0))
            throw new InvalidDataException(
                $"{source}: the ResNet weights lack one of layer1..layer4 (found blocks [{string.Join(", ", layers)}])."
            );
        var block = resnet.ContainsKey("layer1.0.conv3.weight") ? Modeling.ResNetBlock.Bottleneck : Modeling.ResNetBlock.Basic;
        return (block, layers, (int)conv1.shape[0]);
    }

    /// <summary>A BERT's configuration from Hugging Face-named weights (keys without prefix); heads from <paramref
    /// name="heads"/>.</summary>
    public static BertConfig Bert(IReadOnlyDictionary<string, Tensor> bert, BertConfig heads, string source, bool decoder)
    {
        var positions = Required(bert, "embeddings.position_embeddings.weight", source);
        int hidden = (int)positions.shape[1];
        int layers = bert
            .Keys.Select(k => BertLayer().Match(k))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value) + 1)
            .DefaultIfEmpty(0)
            .Max();
        if (layers == 0)
            throw new InvalidDataException($"{source}: the BERT weights have no encoder.layer.N.");
        var intermediate = Required(bert, "encoder.layer.0.intermediate.dense.weight", source);
        var types = Required(bert, "embeddings.token_type_embeddings.weight", source);
        int vocabulary = bert.TryGetValue("embeddings.word_embeddings.weight", out var words) ? (int)words.shape[0] : 0;
        if (hidden % heads.NumAttentionHeads != 0)
            throw new InvalidDataException(
                $"{source}: hidden size {hidden} is not divisible by the preset's {heads.NumAttentionHeads} attention heads; choose the "
                    + $"preset the weights were trained with."
            );
        return heads with
        {
            VocabSize = vocabulary,
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            IntermediateSize = (int)intermediate.shape[0],
            MaxPositionEmbeddings = (int)positions.shape[0],
            TypeVocabSize = (int)types.shape[0],
            AddCrossAttention = decoder,
            AddPooler = bert.ContainsKey("pooler.dense.weight"),
        };
    }

    /// <summary>Every size of a whole PRIOR network from its state dict (our names); heads and temperatures from <paramref
    /// name="preset"/>.</summary>
    public static PriorModelOptions Prior(IReadOnlyDictionary<string, Tensor> state, PriorModelOptions preset, string source)
    {
        var resnet = Under(state, "image_encoder.encoder.");
        var (block, layers, width) = ResNet(resnet, source);
        var positional = Required(state, "image_encoder.atten_pool.positional_embedding", source);
        int side = (int)Math.Round(Math.Sqrt(positional.shape[0] - 1));
        if (side * side + 1 != positional.shape[0])
            throw new InvalidDataException(
                $"{source}: image_encoder.atten_pool.positional_embedding has {positional.shape[0]} rows, not side² + 1."
            );
        var text = Bert(Under(state, "text_encoder.encoder."), preset.Text, source, decoder: false);
        var decoder = Bert(Under(state, "sentence_decoder."), preset.SentenceDecoder, source, decoder: true);
        int embedding = (int)Required(state, "global_image_projection.weight", source).shape[0];
        var queries = Required(state, "prototype_queries", source);
        return preset with
        {
            EmbeddingDim = embedding,
            ImageSize = side * 32,
            ResNetBlock = block,
            ResNetLayers = layers,
            ResNetWidth = width,
            Text = text,
            MaxTokens = Math.Min(preset.MaxTokens, text.MaxPositionEmbeddings),
            Prototypes = (int)Required(state, "sentence_bank.embed.weight", source).shape[0],
            GeneratedSentences = (int)queries.shape[^2],
            SentenceDecoder = decoder,
        };
    }

    /// <summary>The entries under <paramref name="prefix"/>, with the prefix removed.</summary>
    public static Dictionary<string, Tensor> Under(IReadOnlyDictionary<string, Tensor> state, string prefix) =>
        state
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static Tensor Required(IReadOnlyDictionary<string, Tensor> state, string key, string source) =>
        state.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"{source}: lacks '{key}', which tells the model's sizes.");
}
