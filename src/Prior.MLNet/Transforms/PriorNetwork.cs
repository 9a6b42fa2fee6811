using Prior.MLNet.Data.Images;
using Prior.MLNet.Data.Reports;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Transforms;

/// <summary>
/// A trained PRIOR network ready for inference: the model (eval mode, on its device), its tokenizer, and whether
/// reports go through the prototype bank. Shared by the embedding and zero-shot transformers; calls are serialised,
/// batched and run without gradients inside dispose scopes.
/// </summary>
public sealed class PriorNetwork : IDisposable
{
    private readonly object _gate = new();

    /// <summary>Wraps a model; <paramref name="inference"/> defaults to <see cref="PriorInferenceSettings.Default"/>.</summary>
    internal PriorNetwork(PriorModel model, ReportTokenizer tokenizer, bool usePrototypes, PriorInferenceSettings? inference = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        UsePrototypes = usePrototypes;
        Inference = inference ?? PriorInferenceSettings.Default;
        Inference.Validate();
        model.eval();
    }

    /// <summary>
    /// Imports PyTorch PRIOR weights: the official checkpoint (<c>prior_full.pth</c>, with Bio_ClinicalBERT's
    /// <c>vocab.txt</c>), a Lightning checkpoint, a <c>.safetensors</c>, or a file written by <c>prior export</c>. Sizes are
    /// read from the tensors' shapes; <paramref name="preset"/> supplies the head counts the shapes cannot show. A key that
    /// does not match fails the import (a <see cref="Interop.WeightImportException"/> naming every one) unless
    /// <paramref name="allowPartial"/>.
    /// </summary>
    /// <param name="checkpointPath">The state dict (.pt, .pth, .bin, .ckpt or .safetensors).</param>
    /// <param name="vocabularyPath">The vocab.txt the weights were trained with; not needed for files from <c>prior export</c>.</param>
    /// <param name="report">What loaded, what stayed random and why, one line per group of keys.</param>
    /// <param name="preset">Head counts and temperatures. Default <see cref="PriorPreset.Paper"/> (the official network's).</param>
    /// <param name="allowPartial">Load what matches and keep the rest random instead of failing. Default false.</param>
    public static PriorNetwork Import(
        string checkpointPath,
        string? vocabularyPath,
        out string report,
        PriorPreset preset = PriorPreset.Paper,
        bool allowPartial = false
    )
    {
        var (network, account) = Interop.PriorWeights.ImportNetwork(
            checkpointPath,
            vocabularyPath,
            PriorModelOptions.FromPreset(preset),
            allowPartial
        );
        report = account.Describe();
        return network;
    }

    /// <summary>
    /// Loads a network from an ML.NET model zip holding PRIOR transformers (what <c>prior pretrain</c>, <c>prior
    /// import</c> and <see cref="Save"/> write, and any pipeline saved with <c>mlContext.Model.Save</c>), or from a model
    /// file of the earlier <see cref="PriorModelFile"/> format. Anything else is an <see cref="InvalidDataException"/>
    /// naming the file.
    /// </summary>
    public static PriorNetwork Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the model file does not exist.", path);
        bool ownFormat;
        try
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            ownFormat = zip.GetEntry("prior-model.json") is not null;
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: not a model (not a zip file: {ex.Message}).", ex);
        }
        if (ownFormat)
        {
            var loaded = PriorModelFile.Load(path);
            return new PriorNetwork(loaded.Model, loaded.Tokenizer, loaded.UsePrototypes, loaded.Inference)
            {
                SentenceMemory = loaded.SentenceMemory,
            };
        }
        Microsoft.ML.ITransformer transformer;
        try
        {
            transformer = new Microsoft.ML.MLContext(seed: 1).Model.Load(path, out _);
        }
        catch (Exception ex) when (ex is not InvalidDataException)
        {
            // ML.NET builds each transformer by reflection: the reason is the innermost exception, not the wrapper.
            var cause = ex;
            while (cause is System.Reflection.TargetInvocationException { InnerException: { } inner })
                cause = inner;
            throw new InvalidDataException(
                $"{path}: neither a Prior.MLNet model nor an ML.NET model that loads ({cause.GetType().Name}: {cause.Message}).",
                ex
            );
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
        var transformers = transformer is Microsoft.ML.Data.TransformerChain<Microsoft.ML.ITransformer> chain
            ? chain.ToList()
            : [transformer];
        var network = transformers.OfType<PriorMappingTransformer>().Select(t => t.Network.AddReference()).FirstOrDefault();
        foreach (var loaded in transformers.OfType<IDisposable>())
            loaded.Dispose();
        return network ?? throw new InvalidDataException($"{path}: an ML.NET model without PRIOR transformers.");
    }

    /// <summary>
    /// Saves the network as an ML.NET model zip (atomically) holding a <see cref="PriorPretrainTransformer"/> with the
    /// default columns: <c>mlContext.Model.Load</c>, <c>prior apply</c> and <see cref="Load"/> all read it.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var transformer = PriorPretrainTransformer.Create(this);
        lock (_gate)
            IO.AtomicFile.Write(path, stream => new Microsoft.ML.MLContext(seed: 1).Model.Save(transformer, null, stream));
    }

    /// <summary>The network.</summary>
    internal PriorModel Model { get; }

    /// <summary>Its tokenizer.</summary>
    internal ReportTokenizer Tokenizer { get; }

    /// <summary>How the network is meant to be used: image normalisation and default prompts (saved with it).</summary>
    internal PriorInferenceSettings Inference { get; }

    /// <summary>Whether report embeddings use the (noise-free) prototype bank.</summary>
    public bool UsePrototypes { get; }

    /// <summary>
    /// Whether a network trained for <paramref name="epochsPerStage"/> embeds reports through its bank: when stage 2 or
    /// 3 trained the bank — unless they were decoupled (<see cref="PriorModelOptions.DecoupledPrototypeStages"/>), which
    /// never aligns the bank's path and leaves the bank-free one exactly as stage 1 trains it.
    /// </summary>
    internal static bool ReportsThroughBank(IReadOnlyList<int> epochsPerStage, PriorModelOptions options) =>
        epochsPerStage[1] + epochsPerStage[2] > 0 && !options.DecoupledPrototypeStages;

    /// <summary>
    /// The distinct training sentences drafts are written from (<see cref="PriorCatalog.PriorReportDraft"/>), saved with
    /// the network; null when it has none. <c>PriorPretrain</c> builds it when stage 3 trains; otherwise build one with
    /// <c>SentenceMemory.Build</c> and set it here.
    /// </summary>
    internal Generation.SentenceMemory? SentenceMemory { get; set; }

    /// <summary>
    /// Why this network cannot draft by <paramref name="method"/>, in a sentence; null when it can. The one check of
    /// drafting's preconditions: the library, the transform, <c>prior draft</c> and the server all ask it.
    /// </summary>
    internal string? DraftingProblem(Generation.ReportDraftMethod method) =>
        SentenceMemory switch
        {
            _ when !Enum.IsDefined(method) => $"unknown drafting method {(int)method}",
            null => "The network has no sentence memory to draft from: PriorPretrain (prior pretrain) builds one from the training "
                + "reports; for another network build one with SentenceMemory.Build and set PriorNetwork.SentenceMemory.",
            { PrototypeDecoderTrained: false } when method == Generation.ReportDraftMethod.Prototype =>
                "The network's prototype decoder was not trained (stage 3 had no epochs), so prototype drafts would be noise: "
                    + "draft by the NearestReport or Retrieval method (--method nearest-report or retrieval), or pretrain stage 3.",
            { HasEmbeddings: false } when method != Generation.ReportDraftMethod.Prototype =>
                $"The network's sentence memory holds no embeddings (it was written before {method} drafting existed): draft by "
                    + "the Prototype method (--method prototype), or pretrain again.",
            _ => null,
        };

    /// <summary>
    /// Drafts a report per image (pixels preprocessed as for training) by <paramref name="method"/>; needs
    /// <see cref="SentenceMemory"/> (and, for the retrieval methods, one written with embeddings).
    /// </summary>
    public IReadOnlyList<Generation.ReportDraft> DraftReports(
        IReadOnlyList<float[]> pixels,
        Generation.ReportDraftMethod method = Defaults.ReportDraftMethod
    )
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (DraftingProblem(method) is { } problem)
            throw new InvalidOperationException(problem);
        var memory = SentenceMemory!;
        if (pixels.Count == 0)
            return [];
        switch (method)
        {
            case Generation.ReportDraftMethod.Retrieval:
                _ = memory.SentenceEmbeddings; // a memory without embeddings says so before the images are encoded
                return Generation.ReportDrafter.Retrieve(memory, EmbedImages(pixels, local: false).Global);
            case Generation.ReportDraftMethod.NearestReport:
                _ = memory.ReportEmbeddings;
                return Generation.ReportDrafter.Nearest(memory, EmbedImages(pixels, local: false).Global);
            case Generation.ReportDraftMethod.Prototype:
                lock (_gate)
                {
                    using var guard = TorchGcGuard.Enter();
                    using var noGrad = no_grad();
                    using var scope = NewDisposeScope();
                    var images = ImageTensor(pixels);
                    return Generation.ReportDrafter.Draft(Model, memory, images);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, "unknown drafting method");
        }
    }

    // A batch of preprocessed images [N, 1, S, S] on the network's device (inside the caller's dispose scope).
    private Tensor ImageTensor(IReadOnlyList<float[]> pixels)
    {
        int size = Model.Options.ImageSize;
        return tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Count, 1, size, size]).to(Model.logit_scale.device);
    }

    /// <summary>
    /// Reads an image file (JPEG or PNG, any bit depth, colour or gray) into the pixels the network's methods take: gray,
    /// area-resized to <see cref="ImageSize"/> and normalised as the network was trained.
    /// </summary>
    public float[] LoadImage(string path) => ImagePreprocessor.Load(path);

    /// <summary>
    /// The preprocessor for embedding, retrieval, attention, drafting and serving: the network's size and the
    /// normalisation it embeds with (MIMIC-CXR's for networks trained here, CheXpert's for imported official weights).
    /// Callers take it from here rather than rebuilding it, so every path normalises alike.
    /// </summary>
    public ImagePreprocessor ImagePreprocessor => _imagePreprocessor ??= new(ImageSize, Inference.ImageMean, Inference.ImageStd);

    /// <summary>
    /// The preprocessor for zero-shot classification: the network's size and the normalisation its zero-shot scores
    /// were measured with (CheXpert's, as the original's zero-shot test reads CheXpert; a model zip may state another).
    /// </summary>
    public ImagePreprocessor ZeroShotImagePreprocessor =>
        _zeroShotImagePreprocessor ??= new(ImageSize, Inference.ZeroShotImageMean, Inference.ZeroShotImageStd);

    // Made once, on first use: the size and normalisations are fixed for a network's life, and a preprocessor holds no
    // per-image state, so one instance serves every caller and thread (LoadImage ran once per image).
    private ImagePreprocessor? _imagePreprocessor;
    private ImagePreprocessor? _zeroShotImagePreprocessor;

    /// <summary>The zero-shot prompt set the network was made for (the official checkpoint: the original's; ours: the ensemble).</summary>
    public Evaluation.ZeroShotPromptSet PromptSet => Inference.Prompts;

    /// <summary>The joint embedding width.</summary>
    public int EmbeddingDim => Model.Options.EmbeddingDim;

    /// <summary>Side of the square images the network reads, in pixels (64 for the tiny preset, 224 for the paper's).</summary>
    public int ImageSize => Model.Options.ImageSize;

    /// <summary>Patches per image (the local features' count).</summary>
    public int Patches => (Model.Options.ImageSize / 32) * (Model.Options.ImageSize / 32);

    /// <summary>Normalised global (and optionally local, flattened) embeddings of preprocessed images [S·S each].</summary>
    public (float[][] Global, float[][]? Local) EmbedImages(IReadOnlyList<float[]> pixels, bool local)
    {
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var images = ImageTensor(pixels);
            var (g, l) = Model.EncodeImage(images);
            var global = Rows(nn.functional.normalize(g, dim: 1));
            var locals = local ? Rows(nn.functional.normalize(l, dim: 2).flatten(1)) : null;
            return (global, locals);
        }
    }

    /// <summary>Normalised report embeddings of sentence lists.</summary>
    public float[][] EmbedReports(IReadOnlyList<IReadOnlyList<string>> reports)
    {
        var encoded = reports.Select(r => Tokenizer.Encode(r)).ToList();
        int length = Tokenizer.MaxLength;
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = Model.logit_scale.device;
            var ids = tensor(encoded.SelectMany(e => e.InputIds).ToArray(), [encoded.Count, length]).to(device);
            var mask = tensor(encoded.SelectMany(e => e.AttentionMask).ToArray(), [encoded.Count, length]).to(device);
            var index = tensor(encoded.SelectMany(e => e.SentenceIndex).ToArray(), [encoded.Count, length]).to(device);
            return Rows(nn.functional.normalize(Model.EmbedReports(ids, mask, index, UsePrototypes), dim: 1));
        }
    }

    /// <summary>
    /// Where each sentence attends in each image: the local alignment's cross-attention weights of the sentence over
    /// the image's patches (PRIOR's sigmoid attention, each in [0, 1]), one map of side × side per image and sentence,
    /// row-major, side = ImageSize / 32 (2 for the tiny preset, 4 for small, 7 for paper). Each sentence is encoded
    /// alone. Result [image][sentence][patch].
    /// </summary>
    /// <exception cref="InvalidOperationException">The model's local features are the original's flat view
    /// (<see cref="LocalFeatureLayout.OriginalFlatView"/>, as the official checkpoint's): its "patches" mix channels
    /// and positions, so they have no place in the image to draw.</exception>
    public float[][][] AttentionMaps(IReadOnlyList<float[]> pixels, IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(sentences);
        if (Model.Options.LocalFeatureLayout != LocalFeatureLayout.Spatial)
            throw new InvalidOperationException(
                $"This model's local features are laid out as the original's flat view ({Model.Options.LocalFeatureLayout}): each of its "
                    + $"{Patches} \"patches\" mixes channels and positions, so attention over them cannot be drawn on the image. Models "
                    + $"trained with LocalFeatureLayout.Spatial (the default for new training) can."
            );
        if (sentences.Count == 0 || sentences.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("Give at least one sentence, none of them empty.", nameof(sentences));
        if (pixels.Count == 0)
            return [];
        var encoded = sentences.Select(s => Tokenizer.Encode([s])).ToList();
        var (ids, mask, index, length) = ReportBatch.Collate(encoded);
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = Model.logit_scale.device;
            var (_, local) = Model.EncodeImage(ImageTensor(pixels));
            var (vectors, _) = Model.EncodeSentences(
                tensor(ids, [encoded.Count, length]).to(device),
                tensor(mask, [encoded.Count, length]).to(device),
                tensor(index, [encoded.Count, length]).to(device)
            );
            // One sentence per report: [T, 1, D] → the same T sentences beside every image, [N, T, D].
            var perImage = vectors.narrow(1, 0, 1).squeeze(1).unsqueeze(0).expand(pixels.Count, -1, -1);
            var weights = Model.local_cross_attention.call(local, perImage).SentenceToImage.cpu().contiguous(); // [N, T, I]
            var flat = weights.data<float>().ToArray();
            int t = sentences.Count,
                patches = Patches;
            return Enumerable
                .Range(0, pixels.Count)
                .Select(n => Enumerable.Range(0, t).Select(k => flat.AsSpan((n * t + k) * patches, patches).ToArray()).ToArray())
                .ToArray();
        }
    }

    /// <summary>The sentences of a report text: MIMIC sections when it has FINDINGS/IMPRESSION headers, else the whole text.</summary>
    public static IReadOnlyList<string> Sentences(string report)
    {
        var parsed = ParsedReport.Parse(report ?? string.Empty);
        return parsed is not null ? parsed.Sentences.ToList() : SentenceSplitter.Split(report);
    }

    private static float[][] Rows(Tensor matrix)
    {
        var cpu = matrix.cpu();
        long n = cpu.shape[0],
            d = cpu.shape[1];
        var flat = cpu.data<float>().ToArray();
        return Enumerable.Range(0, (int)n).Select(i => flat.AsSpan(i * (int)d, (int)d).ToArray()).ToArray();
    }

    /// <summary>Serialises access to the model (the mappers and persistence take it).</summary>
    internal object Gate => _gate;

    private int _references = 1;

    /// <summary>Identifies the network inside a saved ML.NET model, so that several transformers store and load it once.</summary>
    internal Guid Id { get; } = Guid.NewGuid();

    /// <summary>One more owner (a transformer loaded from a model zip that shares this network); each owner disposes once.</summary>
    internal PriorNetwork AddReference()
    {
        if (Interlocked.Increment(ref _references) <= 1)
            throw new ObjectDisposedException(nameof(PriorNetwork));
        return this;
    }

    /// <summary>Releases this owner's hold; the native memory of the model goes with the last one.</summary>
    public void Dispose()
    {
        if (Interlocked.Decrement(ref _references) == 0)
            Model.Dispose();
    }

    /// <summary>
    /// Moves the network to <paramref name="device"/> for inference (<see cref="ComputeDevice.Auto"/>: CUDA when
    /// present) and returns it.
    /// </summary>
    public PriorNetwork To(ComputeDevice device)
    {
        var target = ComputeDevices.Resolve(device);
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            Model.to(target);
        }
        return this;
    }

    /// <summary>Where the network runs.</summary>
    public Device Device => Model.logit_scale.device;
}
