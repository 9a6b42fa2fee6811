using System.Collections;
using System.Text.Json;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;
using Prior.MLNet.Modeling.Bert;
using Prior.MLNet.Modeling.Losses;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Interop;

/// <summary>
/// Weight import and export with state dicts in the real formats (torch.save pickles written by PyBridge, PyTorch
/// Lightning checkpoints, safetensors) at reduced sizes: every key accounted for, strict by default.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class WeightImportTests
{
    private static ReportTokenizer Tokenizer => TrainingFixture.Instance.Tokenizer;

    /// <summary>The official checkpoint's layout at the tiny sizes: text pooler and decoder word embeddings included.</summary>
    private static PriorModelOptions OfficialTiny =>
        PriorModelOptions.Tiny with
        {
            Text = PriorModelOptions.Tiny.Text with { AddPooler = true },
            SentenceDecoder = PriorModelOptions.Tiny.SentenceDecoder with { VocabSize = Tokenizer.VocabularySize },
        };

    /// <summary>A random tiny network's state dict as the original saves it (position_ids buffers included).</summary>
    private static (PriorModel Model, Dictionary<string, Tensor> State) OfficialStyle(int seed)
    {
        random.manual_seed(seed);
        var model = new PriorModel(OfficialTiny, Tokenizer.VocabularySize);
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        state["text_encoder.encoder.embeddings.position_ids"] = arange(OfficialTiny.Text.MaxPositionEmbeddings, dtype: ScalarType.Int64)
            .unsqueeze(0);
        state["sentence_decoder.embeddings.position_ids"] = arange(
                OfficialTiny.SentenceDecoder.MaxPositionEmbeddings,
                dtype: ScalarType.Int64
            )
            .unsqueeze(0);
        return (model, state);
    }

    private static string Folder() => SyntheticFixture.NewTempFolder();

    [TestMethod]
    [DataRow("flat.pt", "")]
    [DataRow("lightning.ckpt", "lightning")]
    [DataRow("dataparallel.pth", "module.")]
    [DataRow("weights.safetensors", "")]
    [DataRow("older.pt", "projection.0")]
    public void AnOfficialStyleStateDictImportsStrictlyWithEveryKeyAccountedFor(string file, string variant)
    {
        using var scope = NewDisposeScope();
        var (source, state) = OfficialStyle(11);
        using var _ = source;
        var path = Path.Combine(Folder(), file);
        var saved = state.ToDictionary(kv => kv.Key, kv => kv.Value);
        if (variant == "module.")
            saved = saved.ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        if (variant == "projection.0")
            saved = saved.ToDictionary(
                kv =>
                    kv.Key.Replace("global_image_projection.", "global_image_projection.0.")
                        .Replace("local_text_projection.", "local_text_projection.0."),
                kv => kv.Value
            );
        if (variant == "lightning")
        {
            // A Lightning checkpoint: the LightningModule holds the network as `model`, weights sit under 'state_dict'.
            var inner = new Hashtable(saved.ToDictionary(kv => "model." + kv.Key, kv => kv.Value));
            using var stream = File.Create(path);
            PyTorchPickler.PickleStateDict(stream, new Hashtable { ["state_dict"] = inner, ["epoch"] = 7 });
        }
        else
        {
            StateDictFile.Write(path, saved);
        }

        var (network, report) = PriorWeights.ImportNetwork(path, TrainingFixture.Instance.VocabularyPath, PriorModelOptions.Tiny);
        using (network)
        {
            Assert.IsTrue(report.IsComplete, report.Describe());
            Assert.HasCount(state.Count - 2, report.Loaded);
            CollectionAssert.AreEquivalent(
                new[] { "text_encoder.encoder.embeddings.position_ids", "sentence_decoder.embeddings.position_ids" },
                report.Ignored.Select(i => i[..i.IndexOf(':')]).ToArray()
            );
            if (variant.Length > 0)
                Assert.IsNotEmpty(report.Conversions, "the shim applied is reported");
            // The original's behaviour is selected and recorded.
            var o = network.Model.Options;
            Assert.AreEqual(LocalFeatureLayout.OriginalFlatView, o.LocalFeatureLayout);
            Assert.IsTrue(o.DecoderCausalMask);
            Assert.AreEqual(PrototypeMatching.OriginalIndexing, o.PrototypeMatching);
            Assert.AreEqual(PriorInferenceSettings.Original, network.Inference);
            Assert.IsTrue(network.UsePrototypes);
            Assert.AreEqual(
                OfficialTiny.Text with
                {
                    VocabSize = Tokenizer.VocabularySize,
                },
                o.Text,
                "text sizes read from the shapes (heads from the preset)"
            );
            Assert.AreEqual(OfficialTiny.SentenceDecoder, o.SentenceDecoder);
            foreach (var (key, value) in network.Model.state_dict())
                Assert.IsTrue(value.equal(state[key]).all().item<bool>(), key);
        }
    }

    [TestMethod]
    public void ARenamedKeyFailsNamingBothSidesAndAPartialLoadSaysWhatStaysRandom()
    {
        using var scope = NewDisposeScope();
        var (source, state) = OfficialStyle(12);
        source.Dispose();
        state["local_cross_attention.q1.weight"] = state["local_cross_attention.query1.weight"];
        state.Remove("local_cross_attention.query1.weight");
        var path = Path.Combine(Folder(), "renamed.pt");
        StateDictFile.Write(path, state);
        var error = Assert.ThrowsExactly<WeightImportException>(() =>
            PriorWeights.ImportNetwork(path, TrainingFixture.Instance.VocabularyPath, PriorModelOptions.Tiny)
        );
        StringAssert.Contains(error.Message, "local_cross_attention.query1.weight");
        StringAssert.Contains(error.Message, "local_cross_attention.q1.weight");
        CollectionAssert.AreEqual(new[] { "local_cross_attention.query1.weight" }, error.Report.Missing.ToArray());
        CollectionAssert.AreEqual(new[] { "local_cross_attention.q1.weight" }, error.Report.Unexpected.ToArray());

        var (network, report) = PriorWeights.ImportNetwork(
            path,
            TrainingFixture.Instance.VocabularyPath,
            PriorModelOptions.Tiny,
            allowPartial: true
        );
        network.Dispose();
        Assert.IsFalse(report.IsComplete);
        StringAssert.Contains(report.Describe(), "missing (keep their random initialisation):\n    local_cross_attention.query1.weight");
    }

    [TestMethod]
    public void AWrongShapeAndAWrongVocabularyAreNamed()
    {
        using var scope = NewDisposeScope();
        var (source, state) = OfficialStyle(13);
        source.Dispose();
        state["predictor.0.weight"] = zeros(7, 64);
        var path = Path.Combine(Folder(), "shape.pt");
        StateDictFile.Write(path, state);
        var error = Assert.ThrowsExactly<WeightImportException>(() =>
            PriorWeights.ImportNetwork(path, TrainingFixture.Instance.VocabularyPath, PriorModelOptions.Tiny)
        );
        StringAssert.Contains(error.Message, "predictor.0.weight: file [7, 64] vs ours [32, 64]");

        var small = Path.Combine(Folder(), "vocab.txt");
        File.WriteAllLines(small, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "lung"]);
        var vocabulary = Assert.ThrowsExactly<InvalidDataException>(() => PriorWeights.ImportNetwork(path, small, PriorModelOptions.Tiny));
        StringAssert.Contains(vocabulary.Message, $"{Tokenizer.VocabularySize} word embeddings but the vocabulary {small} has 6 tokens");
        Assert.ThrowsExactly<ArgumentException>(() => PriorWeights.ImportNetwork(path, null, PriorModelOptions.Tiny));
    }

    [TestMethod]
    [DataRow("model.pt")]
    [DataRow("model.safetensors")]
    public void ExportThenImportGivesIdenticalOutputs(string file)
    {
        var trained = TestNetwork.Instance;
        var path = Path.Combine(Folder(), file);
        var placeholders = PriorWeights.Export(trained, path);
        CollectionAssert.AreEquivalent(
            new[]
            {
                "text_encoder.encoder.pooler.dense.weight",
                "text_encoder.encoder.pooler.dense.bias",
                "sentence_decoder.embeddings.word_embeddings.weight",
            },
            placeholders.ToArray()
        );
        var (network, report) = PriorWeights.ImportNetwork(path);
        using (network)
        {
            Assert.IsTrue(report.IsComplete, report.Describe());
            Assert.AreEqual(JsonSerializer.Serialize(trained.Model.Options), JsonSerializer.Serialize(network.Model.Options));
            Assert.AreEqual(trained.Inference, network.Inference);
            Assert.AreEqual(trained.UsePrototypes, network.UsePrototypes);
            CollectionAssert.AreEqual(trained.Tokenizer.Vocabulary.ToArray(), network.Tokenizer.Vocabulary.ToArray());
            var images = TrainingFixture
                .Instance.Studies.Take(4)
                .Select(s => new ImagePreprocessor(64).Load(s.ImagePaths[0], null))
                .ToList();
            var reports = TrainingFixture.Instance.Studies.Take(4).Select(s => s.Sentences).ToList();
            var (a, _) = trained.EmbedImages(images, false);
            var (b, _) = network.EmbedImages(images, false);
            for (int i = 0; i < a.Length; i++)
                CollectionAssert.AreEqual(a[i], b[i]);
            var ra = trained.EmbedReports(reports);
            var rb = network.EmbedReports(reports);
            for (int i = 0; i < ra.Length; i++)
                CollectionAssert.AreEqual(ra[i], rb[i]);

            // Export again: the same tensors, byte for byte.
            var again = Path.Combine(Folder(), file);
            PriorWeights.Export(network, again);
            var first = StateDictFile.Read(path).Tensors;
            var second = StateDictFile.Read(again).Tensors;
            CollectionAssert.AreEquivalent(first.Keys.ToArray(), second.Keys.ToArray());
            foreach (var (key, value) in first)
                Assert.IsTrue(value.equal(second[key]).all().item<bool>(), key);
        }
    }

    // The public door (PriorNetwork.Import, LoadImage, PromptSet) is what users call without the internals: it must give
    // the network the internal import gives, and pixels normalised as the network says, checked on a uniform image by hand.
    [TestMethod]
    public void ThePublicImportAndImageLoaderGiveTheNetworksOwnOutputs()
    {
        var trained = TestNetwork.Instance;
        var path = Path.Combine(Folder(), "model.pt");
        PriorWeights.Export(trained, path);
        using var network = PriorNetwork.Import(path, null, out var report, PriorPreset.Tiny);
        StringAssert.Contains(report, path);
        Assert.AreEqual(trained.PromptSet, network.PromptSet);
        Assert.AreEqual(trained.Inference.Prompts, network.PromptSet);

        var gray = Path.Combine(Folder(), "gray.png");
        using (var bitmap = new SkiaSharp.SKBitmap(100, 80, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque))
        {
            bitmap.Erase(new SkiaSharp.SKColor(128, 128, 128));
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(gray, data.ToArray());
        }
        var pixels = network.LoadImage(gray);
        Assert.HasCount(network.ImageSize * network.ImageSize, pixels);
        double expected = (128 / 255.0 - network.Inference.ImageMean) / network.Inference.ImageStd;
        Assert.IsTrue(pixels.All(p => Math.Abs(p - expected) < 1e-4), $"every pixel is (128/255 - mean)/std = {expected}");

        var study = TrainingFixture.Instance.Studies[0].ImagePaths[0];
        var (a, _) = trained.EmbedImages([trained.LoadImage(study)], false);
        var (b, _) = network.EmbedImages([network.LoadImage(study)], false);
        CollectionAssert.AreEqual(a[0], b[0]);
    }

    [TestMethod]
    public void AnExportHasExactlyTheOriginalsTensorsSoItsStrictLoadSucceeds()
    {
        // The parity fixture's configuration is the original's key for key (its test proves it); a lean network of the
        // same sizes (no pooler, no decoder vocabulary) must export exactly those keys and shapes, plus position_ids.
        using var scope = NewDisposeScope();
        var official = Modeling.TrainingStepParityTests.FixtureOptions;
        var lean = official with
        {
            Text = official.Text with { AddPooler = false },
            SentenceDecoder = official.SentenceDecoder with { VocabSize = 0 },
        };
        var vocabulary = Path.Combine(Folder(), "vocab.txt");
        File.WriteAllLines(
            vocabulary,
            new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(Enumerable.Range(0, 123).Select(i => $"w{i}"))
        );
        var tokenizer = new ReportTokenizer(vocabulary, lean.MaxTokens);
        random.manual_seed(3);
        using var network = new PriorNetwork(new PriorModel(lean, tokenizer.VocabularySize), tokenizer, usePrototypes: true);
        var path = Path.Combine(Folder(), "lean.pt");
        PriorWeights.Export(network, path);
        var exported = StateDictFile.Read(path).Tensors;
        using var reference = new PriorModel(official, 128);
        var expected = reference.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        expected["text_encoder.encoder.embeddings.position_ids"] = [1, 64];
        expected["sentence_decoder.embeddings.position_ids"] = [1, 16];
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), exported.Keys.ToArray());
        foreach (var (key, shape) in expected)
            CollectionAssert.AreEqual(shape, exported[key].shape, key);
        Assert.AreEqual(ScalarType.Int64, exported["image_encoder.encoder.bn1.num_batches_tracked"].dtype);
        Assert.AreEqual(ScalarType.Int64, exported["sentence_decoder.embeddings.position_ids"].dtype);
    }

    [TestMethod]
    public void TorchvisionResNetFoldsConv1AndDropsFcWhilePriorsImageEncoderLoadsAsIs()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var model = new PriorModel(PriorModelOptions.Tiny, Tokenizer.VocabularySize);
        // torchvision layout: no prefix, 3-channel conv1, fc.
        var resnet = model.image_encoder.encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone() + 0.5);
        var rgb = randn(16, 3, 7, 7);
        resnet["conv1.weight"] = rgb;
        resnet["fc.weight"] = randn(1000, 128);
        resnet["fc.bias"] = randn(1000);
        var path = Path.Combine(Folder(), "resnet18-imagenet.pth");
        StateDictFile.Write(path, resnet);
        var report = PriorWeights.LoadImageEncoder(model, path, PriorWeightFormat.Torchvision);
        Assert.IsTrue(model.image_encoder.encoder.conv1.weight!.allclose(rgb.sum(1, keepdim: true)), "conv1 is the RGB sum");
        var loaded = model.image_encoder.encoder.state_dict();
        foreach (var key in resnet.Keys.Where(k => k.StartsWith("layer", StringComparison.Ordinal)))
            Assert.IsTrue(loaded[key].equal(resnet[key].to(loaded[key].dtype)).all().item<bool>(), key);
        CollectionAssert.AreEquivalent(new[] { "fc.weight", "fc.bias" }, report.Ignored.Select(i => i[..i.IndexOf(':')]).ToArray());
        StringAssert.Contains(string.Join("\n", report.Conversions), "summed over its RGB axis");
        Assert.IsTrue(
            report.Missing.All(k => k.StartsWith("image_encoder.atten_pool.", StringComparison.Ordinal)) && report.Missing.Count > 0,
            "the attention pool stays random and is listed"
        );
        Assert.IsEmpty(report.Unexpected);

        // prior_resnet50.pt's layout: the image encoder alone, one channel, under image_encoder.encoder.
        var prior = model.image_encoder.state_dict().ToDictionary(kv => "image_encoder." + kv.Key, kv => kv.Value.detach().clone() * 2);
        var priorPath = Path.Combine(Folder(), "prior_resnet.pt");
        StateDictFile.Write(priorPath, prior);
        var priorReport = PriorWeights.LoadImageEncoder(model, priorPath);
        Assert.IsTrue(priorReport.IsComplete, priorReport.Describe());
        Assert.IsTrue(model.image_encoder.atten_pool.positional_embedding.allclose(prior["image_encoder.atten_pool.positional_embedding"]));
        var shape = PriorWeights.ReadImageEncoderShape(path);
        Assert.AreEqual(ResNetBlock.Basic, shape.Block);
        CollectionAssert.AreEqual(new[] { 1, 1, 1, 1 }, shape.Layers);
        Assert.AreEqual(16, shape.Width);
    }

    [TestMethod]
    [DataRow(true, "pytorch_model.bin")]
    [DataRow(false, "model.safetensors")]
    public void AHuggingFaceBertFolderLoadsIntoTheTextTowerWithItsCasing(bool withTokenizerConfig, string weightsFile)
    {
        using var scope = NewDisposeScope();
        var dir = Folder();
        var config = new BertConfig(
            VocabSize: Tokenizer.VocabularySize,
            HiddenSize: 64,
            NumHiddenLayers: 2,
            NumAttentionHeads: 2,
            IntermediateSize: 128,
            MaxPositionEmbeddings: 128
        );
        File.WriteAllText(
            Path.Combine(dir, "config.json"),
            $$"""
            {"architectures": ["BertForPreTraining"], "hidden_act": "gelu", "vocab_size": {{config.VocabSize}}, "hidden_size": 64,
             "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128, "max_position_embeddings": 128,
             "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}
            """
        );
        File.Copy(TrainingFixture.Instance.VocabularyPath, Path.Combine(dir, "vocab.txt"));
        if (withTokenizerConfig)
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"do_lower_case": true}""");
        random.manual_seed(5);
        using var hf = new BertModel(config with { AddPooler = true });
        var weights = hf.state_dict().ToDictionary(kv => "bert." + kv.Key, kv => kv.Value.detach().clone());
        weights["bert.embeddings.position_ids"] = arange(128, dtype: ScalarType.Int64).unsqueeze(0);
        weights["cls.predictions.bias"] = zeros(config.VocabSize);
        weights["cls.seq_relationship.weight"] = zeros(2, 64);
        // Early checkpoints name LayerNorm parameters gamma and beta.
        weights["bert.embeddings.LayerNorm.gamma"] = weights["bert.embeddings.LayerNorm.weight"];
        weights["bert.embeddings.LayerNorm.beta"] = weights["bert.embeddings.LayerNorm.bias"];
        weights.Remove("bert.embeddings.LayerNorm.weight");
        weights.Remove("bert.embeddings.LayerNorm.bias");
        StateDictFile.Write(Path.Combine(dir, weightsFile), weights);

        var folder = new HuggingFaceBertFolder(dir);
        Assert.AreEqual(config, folder.Config);
        // tokenizer_config.json says lower-case; without it the synthetic vocabulary's upper-case pieces make it cased.
        Assert.AreEqual(withTokenizerConfig, folder.LowerCase, folder.CasingSource);
        StringAssert.Contains(folder.CasingSource, withTokenizerConfig ? "do_lower_case" : "upper-case word pieces: cased");
        using var model = new PriorModel(PriorModelOptions.Tiny with { Text = folder.Config }, Tokenizer.VocabularySize);
        var report = PriorWeights.LoadTextEncoder(model, folder);
        Assert.IsTrue(report.IsComplete, report.Describe());
        CollectionAssert.AreEquivalent(
            new[]
            {
                "cls.predictions.bias",
                "cls.seq_relationship.weight",
                "pooler.dense.weight",
                "pooler.dense.bias",
                "embeddings.position_ids",
            },
            report.Ignored.Select(i => i[..i.IndexOf(':')]).Select(k => k.Replace("bert.", "")).ToArray()
        );
        foreach (var (key, value) in hf.state_dict().Where(kv => !kv.Key.StartsWith("pooler", StringComparison.Ordinal)))
            Assert.IsTrue(model.text_encoder.encoder.state_dict()[key].equal(value).all().item<bool>(), key);
    }

    [TestMethod]
    public void OneTowerImportsOnlyWhenAskedAndListsWhatStaysRandom()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var source = new ResNetEncoder(ResNetBlock.Basic, [1, 1, 1, 1], 16);
        var imagenet = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        imagenet["conv1.weight"] = randn(16, 3, 7, 7);
        var path = Path.Combine(Folder(), "resnet.pth");
        StateDictFile.Write(path, imagenet);
        var refused = Assert.ThrowsExactly<InvalidDataException>(() =>
            PriorWeights.ImportNetwork(path, TrainingFixture.Instance.VocabularyPath, PriorModelOptions.Tiny)
        );
        StringAssert.Contains(refused.Message, "--allow-partial");
        var (network, report) = PriorWeights.ImportNetwork(
            path,
            TrainingFixture.Instance.VocabularyPath,
            PriorModelOptions.Tiny,
            allowPartial: true
        );
        using (network)
        {
            Assert.IsFalse(network.UsePrototypes, "an untrained bank is not used");
            CollectionAssert.Contains(report.Missing.ToList(), "text_encoder.encoder.embeddings.word_embeddings.weight");
            CollectionAssert.Contains(report.Missing.ToList(), "image_encoder.atten_pool.positional_embedding");
            CollectionAssert.Contains(report.Loaded.ToList(), "image_encoder.encoder.conv1.weight");
            Assert.AreEqual(
                network.Model.state_dict().Count,
                report.Loaded.Count + report.Missing.Count,
                "every key of ours is loaded or listed as random"
            );
        }
    }

    [TestMethod]
    public void TrainingStartsFromTheGivenTowers()
    {
        // With learning rate 0 the step changes no weight, so the trained model holds exactly the initial towers.
        var dir = Folder();
        random.manual_seed(6);
        var imageSource = new ResNetEncoder(ResNetBlock.Basic, [1, 1, 1, 1], 16);
        var imagenet = imageSource.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        imagenet["conv1.weight"] = randn(16, 3, 7, 7);
        var imagePath = Path.Combine(dir, "resnet.pth");
        StateDictFile.Write(imagePath, imagenet);
        var bertDir = Path.Combine(dir, "bert");
        Directory.CreateDirectory(bertDir);
        var config = PriorModelOptions.Tiny.Text with { VocabSize = Tokenizer.VocabularySize, NumHiddenLayers = 1 };
        File.WriteAllText(
            Path.Combine(bertDir, "config.json"),
            $$"""
            {"vocab_size": {{config.VocabSize}}, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 128, "max_position_embeddings": 128}
            """
        );
        File.Copy(TrainingFixture.Instance.VocabularyPath, Path.Combine(bertDir, "vocab.txt"));
        var bert = new BertModel(config);
        StateDictFile.Write(
            Path.Combine(bertDir, "model.safetensors"),
            bert.state_dict().ToDictionary(kv => "bert." + kv.Key, kv => kv.Value.detach().clone())
        );

        var options = TrainingFixture.Options([1, 0, 0], peak: [0, 0, 0], initImage: imagePath, initText: bertDir);
        var result = new PriorTrainer(options).Train(TrainingFixture.Instance.Studies.Take(32).ToList(), Tokenizer);
        using var model = result.Model;
        Assert.HasCount(2, result.InitialWeights);
        Assert.AreEqual(1, model.Options.Text.NumHiddenLayers, "the text tower's sizes come from config.json");
        Assert.IsTrue(model.image_encoder.encoder.conv1.weight!.allclose(imagenet["conv1.weight"].sum(1, keepdim: true)));
        foreach (var (key, value) in bert.state_dict())
            Assert.IsTrue(model.text_encoder.encoder.state_dict()[key].equal(value).all().item<bool>(), key);
    }

    [TestMethod]
    public void ACasedVocabularyWithoutTokenizerConfigIsCased()
    {
        var dir = Folder();
        File.WriteAllText(
            Path.Combine(dir, "config.json"),
            """
            {"vocab_size": 7, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 16, "max_position_embeddings": 16}
            """
        );
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Lung", "lung"]);
        File.WriteAllBytes(Path.Combine(dir, "pytorch_model.bin"), [1]);
        var folder = new HuggingFaceBertFolder(dir);
        Assert.IsFalse(folder.LowerCase);
        var noConfig = Folder();
        File.WriteAllLines(Path.Combine(noConfig, "vocab.txt"), ["[PAD]"]);
        File.WriteAllBytes(Path.Combine(noConfig, "model.safetensors"), [1]);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => new HuggingFaceBertFolder(noConfig));
        StringAssert.Contains(missing.Message, "config.json");
    }

    [TestMethod]
    public void ForeignAndLegacyFilesAreNamedErrors()
    {
        var dir = Folder();
        var text = Path.Combine(dir, "notes.pt");
        File.WriteAllText(text, "not weights");
        StringAssert.Contains(
            Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(text)).Message,
            $"{text}: neither a PyTorch state dict"
        );
        var legacy = Path.Combine(dir, "legacy.pt");
        File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a]);
        StringAssert.Contains(
            Assert.ThrowsExactly<InvalidDataException>(() => StateDictFile.Read(legacy)).Message,
            "legacy (pre-1.6, non-zip) format"
        );
        Assert.ThrowsExactly<FileNotFoundException>(() => StateDictFile.Read(Path.Combine(dir, "absent.pt")));
    }
}
