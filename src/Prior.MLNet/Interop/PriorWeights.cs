using System.Text.Json;
using System.Text.Json.Serialization;
using Prior.MLNet.IO;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Interop;

/// <summary>
/// PyTorch weights in and out: the official PRIOR checkpoint (or any PRIOR state dict under the official names),
/// partial starts as the paper trains (PRIOR's or torchvision's ImageNet ResNet for the image tower, a Hugging Face
/// BERT such as Bio_ClinicalBERT for the text tower), and export of any network as a state dict the original code
/// loads strictly. Imports are strict by default; every key is accounted for in a <see cref="WeightImportReport"/>.
/// </summary>
internal static class PriorWeights
{
    private const string SidecarFormat = "prior-mlnet-export";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    /// <summary>The tensors the original holds that PRIOR never uses, written by <see cref="Export"/> when a model lacks them.</summary>
    private sealed record Sidecar(
        string Format,
        int Version,
        PriorModelOptions Options,
        bool UsePrototypes,
        bool LowerCase,
        PriorInferenceSettings Inference,
        IReadOnlyList<string> Vocabulary,
        IReadOnlyList<string> Placeholders
    );

    /// <summary>The sidecar <see cref="Export"/> writes beside a state dict: its settings and vocabulary.</summary>
    public static string SidecarPath(string weightsPath) => weightsPath + ".prior.json";

    /// <summary>
    /// Imports a whole PRIOR network. Sizes are read from the tensors' shapes (head counts from
    /// <paramref name="preset"/>); a file without the <see cref="SidecarPath"/> that <see cref="Export"/> writes is taken
    /// for the official checkpoint and gets the original's behaviour: <see cref="LocalFeatureLayout.OriginalFlatView"/>,
    /// the causal decoder mask, <see cref="Modeling.Losses.PrototypeMatching.OriginalIndexing"/>, reports through the
    /// prototype bank and <see cref="PriorInferenceSettings.Original"/>. Its vocabulary is <paramref name="vocabularyPath"/>
    /// (Bio_ClinicalBERT's vocab.txt for the official weights).
    /// </summary>
    /// <param name="path">The state dict (.pt/.pth/.bin/.ckpt pickle, Lightning checkpoint, or .safetensors).</param>
    /// <param name="vocabularyPath">vocab.txt; needed unless the file has a sidecar.</param>
    /// <param name="preset">Head counts and temperatures the shapes cannot show. Default <see cref="PriorModelOptions.Paper"/>.</param>
    /// <param name="allowPartial">Load what matches and keep the rest random, instead of failing.</param>
    /// <param name="lowerCase">Lower-case text before WordPiece; null: cased (Bio_ClinicalBERT) unless the sidecar says otherwise.</param>
    public static (PriorNetwork Network, WeightImportReport Report) ImportNetwork(
        string path,
        string? vocabularyPath = null,
        PriorModelOptions? preset = null,
        bool allowPartial = false,
        bool? lowerCase = null
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            return ImportTextTower(path, vocabularyPath, preset, allowPartial);
        var report = new WeightImportReport(path);
        var state = ReadNormalized(path, report);
        var kind = Detect(state);
        if (kind != PriorWeightFormat.Prior || !state.ContainsKey("text_encoder.encoder.embeddings.word_embeddings.weight"))
        {
            if (kind is PriorWeightFormat.Prior or PriorWeightFormat.Torchvision)
                return ImportImageTower(path, state, kind, report, vocabularyPath, preset, allowPartial, Describe(kind, state));
            throw new InvalidDataException(
                $"{path}: not PRIOR weights ({Describe(kind, state)}); a Hugging Face BERT is imported from its folder."
            );
        }

        Sidecar? sidecar = null;
        if (File.Exists(SidecarPath(path)))
        {
            sidecar = JsonSerializer.Deserialize<Sidecar>(File.ReadAllText(SidecarPath(path)), Json);
            if (sidecar is null || sidecar.Format != SidecarFormat || sidecar.Version != 1)
                throw new InvalidDataException(
                    $"{SidecarPath(path)}: not a Prior.MLNet export sidecar (format '{sidecar?.Format}', version {sidecar?.Version})."
                );
            foreach (var placeholder in sidecar.Placeholders)
            {
                if (state.Remove(placeholder))
                    report.AddIgnored(placeholder, "placeholder written by 'prior export' for the original's strict load; unused");
            }
        }
        var options = sidecar?.Options
            ?? CheckpointShapes.Prior(state, preset ?? PriorModelOptions.Paper, path) with
            {
                LocalFeatureLayout = LocalFeatureLayout.OriginalFlatView,
                DecoderCausalMask = true,
                PrototypeMatching = Modeling.Losses.PrototypeMatching.OriginalIndexing,
            };
        bool lower = lowerCase ?? sidecar?.LowerCase ?? false;
        var tokenizer = sidecar is not null
            ? ReportTokenizer.FromTokens(sidecar.Vocabulary, options.MaxTokens, lower, SidecarPath(path))
            : new ReportTokenizer(
                vocabularyPath
                    ?? throw new ArgumentException(
                        $"{path}: the checkpoint has no vocabulary; pass the vocab.txt it was trained with (Bio_ClinicalBERT's for the "
                            + $"official PRIOR weights).",
                        nameof(vocabularyPath)
                    ),
                options.MaxTokens,
                lower
            );
        long rows = state["text_encoder.encoder.embeddings.word_embeddings.weight"].shape[0];
        if (rows != tokenizer.VocabularySize)
            throw new InvalidDataException(
                $"{path}: the text encoder has {rows} word embeddings but the vocabulary {vocabularyPath ?? SidecarPath(path)} has "
                    + $"{tokenizer.VocabularySize} tokens; use the vocab.txt the weights were trained with (Bio_ClinicalBERT's for the "
                    + $"official ones: 28996)."
            );
        PriorModel model;
        using (TorchGcGuard.Enter())
        {
            model = new PriorModel(options, tokenizer.VocabularySize);
            StateDictLoader.Load(model, state, report);
        }
        try
        {
            StateDictLoader.EnsureComplete(report, allowPartial);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        var network = new PriorNetwork(
            model,
            tokenizer,
            sidecar?.UsePrototypes ?? true,
            sidecar?.Inference ?? PriorInferenceSettings.Original
        );
        return (network, report);
    }

    // One tower (an image encoder, or a BERT folder) into a network whose every other tensor stays random: only when
    // the caller allows a partial import, and then the report lists every key that stays random. Default inference
    // settings; reports do not go through the (untrained) prototype bank.
    private static (PriorNetwork Network, WeightImportReport Report) ImportImageTower(
        string path,
        Dictionary<string, Tensor> state,
        PriorWeightFormat kind,
        WeightImportReport report,
        string? vocabularyPath,
        PriorModelOptions? preset,
        bool allowPartial,
        string holds
    )
    {
        RequirePartial(path, allowPartial, holds);
        var image = ImageEncoderTensors(state, kind, report, path);
        var (block, layers, width) = ImageEncoderShape(image, path);
        var options = (preset ?? PriorModelOptions.Paper) with { ResNetBlock = block, ResNetLayers = layers, ResNetWidth = width };
        var tokenizer = new ReportTokenizer(
            vocabularyPath
                ?? throw new ArgumentException(
                    $"{path}: image weights carry no vocabulary; pass the vocab.txt the text side will use.",
                    nameof(vocabularyPath)
                ),
            options.MaxTokens
        );
        return OneTowerNetwork(options, tokenizer, model => LoadImageEncoder(model, image, report, allowPartial: true));
    }

    private static (PriorNetwork Network, WeightImportReport Report) ImportTextTower(
        string path,
        string? vocabularyPath,
        PriorModelOptions? preset,
        bool allowPartial
    )
    {
        RequirePartial(path, allowPartial, "it is a BERT folder");
        var bert = new HuggingFaceBertFolder(path);
        var sizes = preset ?? PriorModelOptions.Paper;
        var options = sizes with { Text = bert.Config, MaxTokens = Math.Min(sizes.MaxTokens, bert.Config.MaxPositionEmbeddings) };
        var tokenizer = new ReportTokenizer(vocabularyPath ?? bert.VocabularyPath, options.MaxTokens, bert.LowerCase);
        return OneTowerNetwork(options, tokenizer, model => LoadTextEncoder(model, bert, allowPartial: true));
    }

    private static void RequirePartial(string path, bool allowPartial, string holds)
    {
        if (!allowPartial)
            throw new InvalidDataException(
                $"{path}: not a whole PRIOR network ({holds}); the rest would stay random. Pass --allow-partial (allowPartial) to import "
                    + $"it anyway, listing what stays random, or start training from it with 'prior pretrain --init-image/--init-text'."
            );
    }

    private static (PriorNetwork Network, WeightImportReport Report) OneTowerNetwork(
        PriorModelOptions options,
        ReportTokenizer tokenizer,
        Func<PriorModel, WeightImportReport> loadTower
    )
    {
        PriorModel model;
        using (TorchGcGuard.Enter())
            model = new PriorModel(options, tokenizer.VocabularySize);
        try
        {
            var report = loadTower(model);
            var accounted = report.Loaded.Concat(report.Missing).ToHashSet(StringComparer.Ordinal);
            foreach (var key in model.state_dict().Keys.Where(k => !accounted.Contains(k)))
                report.AddMissing(key);
            return (new PriorNetwork(model, tokenizer, usePrototypes: false), report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads image-encoder weights into <paramref name="model"/>'s image tower: PRIOR's (<c>prior_resnet50.pt</c>, or the
    /// image part of a whole checkpoint) or torchvision's ResNet (conv1 summed over its RGB axis into one channel,
    /// <c>fc</c> dropped). The attention pool may stay random, as in the paper's training from ImageNet.
    /// </summary>
    public static WeightImportReport LoadImageEncoder(
        PriorModel model,
        string path,
        PriorWeightFormat format = PriorWeightFormat.Auto,
        bool allowPartial = false
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope(); // the file's tensors; the model keeps copies
        var report = new WeightImportReport(path);
        return LoadImageEncoder(model, ReadImageEncoder(path, format, report), report, allowPartial);
    }

    /// <summary>Loads image-encoder tensors already read (<see cref="ReadImageEncoder"/>) into the image tower.</summary>
    internal static WeightImportReport LoadImageEncoder(
        PriorModel model,
        IReadOnlyDictionary<string, Tensor> image,
        WeightImportReport report,
        bool allowPartial
    )
    {
        using (TorchGcGuard.Enter())
            StateDictLoader.Load(model.image_encoder, image, report, "image_encoder.");
        StateDictLoader.EnsureComplete(report, allowPartial, key => key.StartsWith("image_encoder.atten_pool.", StringComparison.Ordinal));
        return report;
    }

    /// <summary>The ResNet kind, depth and width of an image-encoder weights file (for building a model that fits it).</summary>
    public static (ResNetBlock Block, int[] Layers, int Width) ReadImageEncoderShape(
        string path,
        PriorWeightFormat format = PriorWeightFormat.Auto
    )
    {
        using var scope = NewDisposeScope();
        return ImageEncoderShape(ReadImageEncoder(path, format, new WeightImportReport(path)), path);
    }

    /// <summary>The ResNet kind, depth and width of image-encoder tensors under our names.</summary>
    internal static (ResNetBlock Block, int[] Layers, int Width) ImageEncoderShape(
        IReadOnlyDictionary<string, Tensor> image,
        string source
    ) => CheckpointShapes.ResNet(CheckpointShapes.Under(image, "encoder."), source);

    /// <summary>
    /// Loads a Hugging Face BERT folder into <paramref name="model"/>'s text encoder: the <c>bert.</c> prefix removed,
    /// pretraining heads (<c>cls.*</c>) and an unused pooler ignored and named. The model must have been built with
    /// <paramref name="folder"/>'s <see cref="HuggingFaceBertFolder.Config"/> and vocabulary.
    /// </summary>
    public static WeightImportReport LoadTextEncoder(PriorModel model, HuggingFaceBertFolder folder, bool allowPartial = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(folder);
        var report = new WeightImportReport(folder.WeightsPath);
        var state = ReadNormalized(folder.WeightsPath, report);
        if (state.Keys.Any(k => k.StartsWith("bert.", StringComparison.Ordinal)))
        {
            foreach (var key in state.Keys.Where(k => !k.StartsWith("bert.", StringComparison.Ordinal)).ToList())
            {
                report.AddIgnored(
                    key,
                    key.StartsWith("cls.", StringComparison.Ordinal) ? "pretraining head, not used by PRIOR" : "outside the BERT encoder"
                );
                state.Remove(key);
            }
            state = state.ToDictionary(kv => kv.Key["bert.".Length..], kv => kv.Value, StringComparer.Ordinal);
            report.AddConversion("removed the 'bert.' prefix");
        }
        var bert = model.text_encoder.encoder;
        if (bert.pooler is null)
        {
            foreach (var key in state.Keys.Where(k => k.StartsWith("pooler.", StringComparison.Ordinal)).ToList())
            {
                report.AddIgnored(key, "BERT's pooler, not used by PRIOR");
                state.Remove(key);
            }
        }
        using (TorchGcGuard.Enter())
            StateDictLoader.Load(bert, state, report, "text_encoder.encoder.");
        StateDictLoader.EnsureComplete(report, allowPartial);
        return report;
    }

    /// <summary>
    /// Writes <paramref name="network"/> as a PyTorch state dict under the official names (pickle, or .safetensors
    /// when the path ends so), loadable by the original code with strict loading: the Hugging Face
    /// <c>position_ids</c> buffers are added, and the tensors the original holds but never uses (the text pooler, the
    /// decoder's word embeddings) are written as zeros when the network lacks them. A sidecar
    /// (<see cref="SidecarPath"/>) keeps the settings and vocabulary, so <see cref="ImportNetwork"/> restores the
    /// network exactly. Returns the placeholders written. A network whose bank scores by
    /// <see cref="Modeling.PrototypeLogits.CenteredCosine"/> also writes its <c>sentence_bank.center</c>: the original has
    /// no such tensor (its strict load names it unexpected, its own non-strict load skips it and scores that bank by
    /// dot products, which is not how it was trained).
    /// </summary>
    public static IReadOnlyList<string> Export(PriorNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = network.Model;
        var o = model.Options;
        var placeholders = new List<string>();
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        lock (network.Gate)
        {
            using var guard = TorchGcGuard.Enter();
            foreach (var (key, value) in model.state_dict())
                state[key] = value.detach().cpu().clone();
            state["text_encoder.encoder.embeddings.position_ids"] = StateDictShims.PositionIds(o.Text.MaxPositionEmbeddings);
            state["sentence_decoder.embeddings.position_ids"] = StateDictShims.PositionIds(o.SentenceDecoder.MaxPositionEmbeddings);
            void Placeholder(string key, params long[] shape)
            {
                if (state.ContainsKey(key))
                    return;
                state[key] = zeros(shape);
                placeholders.Add(key);
            }
            int h = o.Text.HiddenSize,
                e = o.EmbeddingDim;
            Placeholder("text_encoder.encoder.pooler.dense.weight", h, h);
            Placeholder("text_encoder.encoder.pooler.dense.bias", h);
            Placeholder("sentence_decoder.embeddings.word_embeddings.weight", o.Text.VocabSize, e);
            StateDictFile.Write(path, state);
        }
        var sidecar = new Sidecar(
            SidecarFormat,
            1,
            o,
            network.UsePrototypes,
            network.Tokenizer.LowerCase,
            network.Inference,
            network.Tokenizer.Vocabulary,
            placeholders
        );
        AtomicFile.WriteText(SidecarPath(path), w => w.Write(JsonSerializer.Serialize(sidecar, Json)));
        return placeholders;
    }

    /// <summary>The image-encoder tensors of a file, under our names (<c>encoder.*</c>, <c>atten_pool.*</c>), conv1 folded to one
    /// channel.</summary>
    internal static Dictionary<string, Tensor> ReadImageEncoder(string path, PriorWeightFormat format, WeightImportReport report) =>
        ImageEncoderTensors(ReadNormalized(path, report), format, report, path);

    // A state dict read, unwrapped from a Lightning checkpoint when it is one, and its keys put through the shims.
    private static Dictionary<string, Tensor> ReadNormalized(string path, WeightImportReport report)
    {
        var contents = StateDictFile.Read(path);
        if (contents.Container == "lightning")
            report.AddConversion("took the weights from the checkpoint's 'state_dict'");
        return StateDictShims.Normalize(contents.Tensors, report);
    }

    // Our ResNet has one input channel: a 3-channel (ImageNet) conv1 is summed over its RGB axis.
    private static Dictionary<string, Tensor> ImageEncoderTensors(
        Dictionary<string, Tensor> state,
        PriorWeightFormat format,
        WeightImportReport report,
        string path
    )
    {
        var detected = Detect(state);
        if (format == PriorWeightFormat.Bert || (format == PriorWeightFormat.Auto && detected == PriorWeightFormat.Bert))
            throw new InvalidDataException($"{path}: holds BERT weights, not an image encoder.");
        if (state.Keys.Any(k => k.StartsWith("image_encoder.", StringComparison.Ordinal)))
        {
            foreach (var key in state.Keys.Where(k => !k.StartsWith("image_encoder.", StringComparison.Ordinal)).ToList())
            {
                report.AddIgnored(key, "outside the image encoder");
                state.Remove(key);
            }
            state = CheckpointShapes.Under(state, "image_encoder.");
            report.AddConversion("took the keys under 'image_encoder.'");
        }
        var image = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in state)
        {
            if (key.StartsWith("fc.", StringComparison.Ordinal))
                report.AddIgnored(key, "ImageNet classifier, not part of PRIOR's encoder");
            else if (key.StartsWith("encoder.", StringComparison.Ordinal) || key.StartsWith("atten_pool.", StringComparison.Ordinal))
                image[key] = value;
            else
                image["encoder." + key] = value;
        }
        if (image.TryGetValue("encoder.conv1.weight", out var conv1) && conv1.shape[1] == 3)
        {
            image["encoder.conv1.weight"] = conv1.sum(1, keepdim: true);
            report.AddConversion($"conv1 [{string.Join(", ", conv1.shape)}] summed over its RGB axis into one channel");
        }
        else if (format == PriorWeightFormat.Torchvision && conv1 is not null && conv1.shape[1] != 3)
        {
            throw new InvalidDataException($"{path}: conv1 has {conv1.shape[1]} input channels; torchvision's ImageNet ResNet has 3.");
        }
        return image;
    }

    private static PriorWeightFormat Detect(IReadOnlyDictionary<string, Tensor> state)
    {
        if (state.Keys.Any(k => k.StartsWith("image_encoder.", StringComparison.Ordinal)))
            return PriorWeightFormat.Prior;
        if (
            state.Keys.Any(k =>
                k.StartsWith("bert.", StringComparison.Ordinal) || k.StartsWith("embeddings.word_embeddings", StringComparison.Ordinal)
            )
        )
            return PriorWeightFormat.Bert;
        if (state.TryGetValue("conv1.weight", out var conv1))
            return conv1.shape[1] == 3 ? PriorWeightFormat.Torchvision : PriorWeightFormat.Prior;
        return PriorWeightFormat.Auto;
    }

    private static string Describe(PriorWeightFormat kind, IReadOnlyDictionary<string, Tensor> state) =>
        kind switch
        {
            PriorWeightFormat.Prior => "it holds the image encoder only",
            PriorWeightFormat.Torchvision => "it holds torchvision ResNet weights",
            PriorWeightFormat.Bert => "it holds BERT weights",
            _ => $"unknown keys such as {string.Join(", ", state.Keys.Take(3))}",
        };
}
