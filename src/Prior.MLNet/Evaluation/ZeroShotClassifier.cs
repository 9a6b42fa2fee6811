using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// PRIOR's zero-shot classifier over a trained model: each class's prompts are embedded once (report embedding for
/// the global part; the prompt's sentence vector — its prototype after stage 2 — for the local part), then images
/// are scored in batches with <see cref="ZeroShotScoring"/> (the original's arithmetic, raw logit_scale).
/// </summary>
internal sealed class ZeroShotClassifier : IDisposable
{
    /// <summary>CheXpert normalisation mean (PRIOR's zero-shot setting).</summary>
    public const float CheXpertMean = 0.50627f;

    /// <summary>CheXpert normalisation standard deviation.</summary>
    public const float CheXpertStd = 0.28947f;

    private readonly PriorModel _model;
    private readonly Tensor _promptGlobal;
    private readonly Tensor _promptLocal;
    private readonly ImagePreprocessor _images;

    /// <summary>The class names, in score order.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The prompts of each class.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Prompts { get; }

    /// <summary>
    /// The classifier of <paramref name="network"/> for <paramref name="prompts"/>, normalising images as the network's
    /// zero-shot settings say (the caller disposes it; the network stays the caller's).
    /// </summary>
    public static ZeroShotClassifier For(Transforms.PriorNetwork network, IReadOnlyDictionary<string, IReadOnlyList<string>> prompts)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new ZeroShotClassifier(
            network.Model,
            network.Tokenizer,
            network.UsePrototypes,
            prompts,
            network.Inference.ZeroShotImageMean,
            network.Inference.ZeroShotImageStd
        );
    }

    /// <summary>Embeds the prompts of each class.</summary>
    public ZeroShotClassifier(
        PriorModel model,
        ReportTokenizer tokenizer,
        bool usePrototypes,
        IReadOnlyDictionary<string, IReadOnlyList<string>> prompts,
        float mean = CheXpertMean,
        float std = CheXpertStd
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count < 2)
            throw new ArgumentException("Zero-shot classification needs at least two classes.", nameof(prompts));
        int perClass = prompts.Values.First().Count;
        if (perClass == 0 || prompts.Values.Any(p => p.Count != perClass))
            throw new ArgumentException("Every class needs the same, positive number of prompts.", nameof(prompts));
        _model = model;
        Classes = prompts.Keys.ToList();
        Prompts = prompts.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.ToList());
        _images = new ImagePreprocessor(model.Options.ImageSize, mean, std);
        var device = model.logit_scale.device;
        model.eval();
        using var guard = TorchGcGuard.Enter();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var encoded = prompts.Values.SelectMany(p => p).Select(p => tokenizer.Encode([p])).ToList();
        int n = encoded.Count,
            length = tokenizer.MaxLength;
        var ids = tensor(encoded.SelectMany(e => e.InputIds).ToArray(), [n, length]).to(device);
        var mask = tensor(encoded.SelectMany(e => e.AttentionMask).ToArray(), [n, length]).to(device);
        var index = tensor(encoded.SelectMany(e => e.SentenceIndex).ToArray(), [n, length]).to(device);
        var (sentences, sentenceMask) = model.EncodeSentences(ids, mask, index);
        var text = usePrototypes ? model.sentence_bank.Assign(sentences, null).Prototypes : sentences;
        var global = model.PoolReport(text, sentenceMask);
        long e = global.shape[1];
        _promptGlobal = global.view(Classes.Count, perClass, e).MoveToOuterDisposeScope();
        _promptLocal = text.narrow(1, 0, 1).reshape(Classes.Count, perClass, e).MoveToOuterDisposeScope();
    }

    /// <summary>Scores [N, C] for image files, in batches; an unreadable file is an <see cref="InvalidDataException"/> naming its row and
    /// path.</summary>
    public float[][] Score(IReadOnlyList<string> imagePaths, int batchSize = Defaults.InferenceBatchSize)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        var result = new List<float[]>(imagePaths.Count);
        for (int start = 0; start < imagePaths.Count; start += batchSize)
        {
            var chunk = imagePaths.Skip(start).Take(batchSize).ToList();
            var (pixels, _) = Transforms.ImageBatch.Decode(chunk, _images, Transforms.UnreadableImageHandling.Fail, start);
            result.AddRange(ScorePixels(pixels.Select(p => p!).ToList()));
        }
        return result.ToArray();
    }

    /// <summary>The report embeddings of the prompts [C, P, E] (for ONNX export).</summary>
    internal Tensor PromptGlobal => _promptGlobal;

    /// <summary>The sentence vector of each prompt [C, P, E] (for ONNX export).</summary>
    internal Tensor PromptLocal => _promptLocal;

    /// <summary>The network this classifier scores with.</summary>
    internal PriorModel Model => _model;

    /// <summary>The preprocessing this classifier applies to image files (CheXpert normalisation by default).</summary>
    public ImagePreprocessor Preprocessor => _images;

    /// <summary>Scores [N, C] for preprocessed images (S·S normalised pixels each), as one batch.</summary>
    public float[][] ScorePixels(IReadOnlyList<float[]> pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        int size = _model.Options.ImageSize;
        using var guard = TorchGcGuard.Enter();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var images = tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Count, 1, size, size]).to(_model.logit_scale.device);
        var (global, local) = _model.EncodeImage(images);
        var scores = ZeroShotScoring
            .Score(local, global, _promptGlobal, _promptLocal, _model.logit_scale, _model.local_cross_attention)
            .cpu();
        var flat = scores.data<float>().ToArray();
        return Enumerable.Range(0, pixels.Count).Select(i => flat.AsSpan(i * Classes.Count, Classes.Count).ToArray()).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _promptGlobal.Dispose();
        _promptLocal.Dispose();
    }
}
