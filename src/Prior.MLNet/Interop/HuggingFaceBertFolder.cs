using System.Text.Json;
using Prior.MLNet.Modeling.Bert;

namespace Prior.MLNet.Interop;

/// <summary>
/// A Hugging Face BERT folder as users download it (e.g. emilyalsentzer/Bio_ClinicalBERT): <c>config.json</c>,
/// <c>vocab.txt</c>, weights in <c>model.safetensors</c> or <c>pytorch_model.bin</c>, and optionally
/// <c>tokenizer_config.json</c> whose <c>do_lower_case</c> gives the casing.
/// </summary>
internal sealed class HuggingFaceBertFolder
{
    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The BERT's sizes from config.json.</summary>
    public BertConfig Config { get; }

    /// <summary>The vocab.txt path.</summary>
    public string VocabularyPath { get; }

    /// <summary>The weights file found.</summary>
    public string WeightsPath { get; }

    /// <summary>
    /// Whether text is lower-cased: <c>do_lower_case</c> of tokenizer_config.json when present; otherwise told by the
    /// vocabulary (a vocabulary with no upper-case word pieces is uncased). <see cref="CasingSource"/> says which.
    /// </summary>
    public bool LowerCase { get; }

    /// <summary>Where <see cref="LowerCase"/> came from.</summary>
    public string CasingSource { get; }

    /// <summary>Reads the folder's configuration; errors name the file that is missing or wrong.</summary>
    public HuggingFaceBertFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"{directory}: the BERT folder does not exist.");
        Directory = directory;
        VocabularyPath = Path.Combine(directory, "vocab.txt");
        if (!File.Exists(VocabularyPath))
            throw new FileNotFoundException(
                $"{directory}: no vocab.txt (a Hugging Face BERT folder has config.json, vocab.txt and the weights).",
                VocabularyPath
            );
        WeightsPath = new[] { "model.safetensors", "pytorch_model.bin" }.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"{directory}: neither model.safetensors nor pytorch_model.bin.",
                Path.Combine(directory, "pytorch_model.bin")
            );
        Config = ReadConfig(Path.Combine(directory, "config.json"));
        (LowerCase, CasingSource) = ReadCasing(directory, VocabularyPath);
    }

    private static BertConfig ReadConfig(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: missing; the BERT's head count and sizes come from it.", path);
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            int Int(string name, int? fallback = null) =>
                root.TryGetProperty(name, out var v)
                    ? v.GetInt32()
                    : fallback ?? throw new InvalidDataException($"{path}: lacks '{name}'.");
            double Real(string name, double fallback) => root.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
            if (root.TryGetProperty("hidden_act", out var act) && act.GetString() is { } a && a != "gelu")
                throw new InvalidDataException($"{path}: hidden_act '{a}' is not supported (BERT's GELU only).");
            var config = new BertConfig(
                VocabSize: Int("vocab_size"),
                HiddenSize: Int("hidden_size"),
                NumHiddenLayers: Int("num_hidden_layers"),
                NumAttentionHeads: Int("num_attention_heads"),
                IntermediateSize: Int("intermediate_size"),
                MaxPositionEmbeddings: Int("max_position_embeddings"),
                TypeVocabSize: Int("type_vocab_size", 2),
                HiddenDropoutProb: Real("hidden_dropout_prob", 0.1),
                AttentionProbsDropoutProb: Real("attention_probs_dropout_prob", 0.1),
                LayerNormEps: Real("layer_norm_eps", 1e-12)
            );
            config.Validate();
            return config;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a usable BERT config ({ex.Message}).", ex);
        }
    }

    private static (bool LowerCase, string Source) ReadCasing(string directory, string vocabulary)
    {
        var tokenizerConfig = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(tokenizerConfig));
            if (
                json.RootElement.TryGetProperty("do_lower_case", out var lower)
                && lower.ValueKind is JsonValueKind.True or JsonValueKind.False
            )
                return (lower.GetBoolean(), "tokenizer_config.json do_lower_case");
        }
        bool anyUpper = File.ReadLines(vocabulary).Any(t => !(t.StartsWith('[') && t.EndsWith(']')) && t.Any(char.IsUpper));
        return (!anyUpper, anyUpper ? "vocab.txt has upper-case word pieces: cased" : "vocab.txt has no upper-case word pieces: uncased");
    }
}
