using Prior.MLNet.Data.Reports;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
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
    public PriorNetwork(PriorModel model, ReportTokenizer tokenizer, bool usePrototypes, PriorInferenceSettings? inference = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        UsePrototypes = usePrototypes;
        Inference = inference ?? PriorInferenceSettings.Default;
        Inference.Validate();
        model.eval();
    }

    /// <summary>Loads a model file written by <see cref="PriorModelFile"/> (e.g. by <c>prior pretrain</c>).</summary>
    public static PriorNetwork Load(string path)
    {
        var loaded = PriorModelFile.Load(path);
        return new PriorNetwork(loaded.Model, loaded.Tokenizer, loaded.UsePrototypes, loaded.Inference);
    }

    /// <summary>Saves the network, its vocabulary and its text path to a model file (atomically).</summary>
    public void Save(string path)
    {
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            PriorModelFile.Save(path, Model, Tokenizer, UsePrototypes, Inference);
        }
    }

    /// <summary>The network.</summary>
    public PriorModel Model { get; }

    /// <summary>Its tokenizer.</summary>
    public ReportTokenizer Tokenizer { get; }

    /// <summary>How the network is meant to be used: image normalisation and default prompts (saved with it).</summary>
    public PriorInferenceSettings Inference { get; }

    /// <summary>Whether report embeddings use the (noise-free) prototype bank.</summary>
    public bool UsePrototypes { get; }

    /// <summary>The joint embedding width.</summary>
    public int EmbeddingDim => Model.Options.EmbeddingDim;

    /// <summary>Patches per image (the local features' count).</summary>
    public int Patches => (Model.Options.ImageSize / 32) * (Model.Options.ImageSize / 32);

    /// <summary>Normalised global (and optionally local, flattened) embeddings of preprocessed images [S·S each].</summary>
    public (float[][] Global, float[][]? Local) EmbedImages(IReadOnlyList<float[]> pixels, bool local)
    {
        int size = Model.Options.ImageSize;
        lock (_gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var images = tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Count, 1, size, size]).to(Model.logit_scale.device);
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

    /// <summary>The sentences of a report text: MIMIC sections when it has FINDINGS/IMPRESSION headers, else the whole text.</summary>
    public static IReadOnlyList<string> Sentences(string report)
    {
        var parsed = ParsedReport.Parse(report ?? string.Empty);
        return parsed is not null ? parsed.Sentences.ToList() : SentenceSplitter.Split(report);
    }

    private static float[][] Rows(Tensor matrix)
    {
        var cpu = matrix.cpu();
        long n = cpu.shape[0], d = cpu.shape[1];
        var flat = cpu.data<float>().ToArray();
        return Enumerable.Range(0, (int)n).Select(i => flat.AsSpan(i * (int)d, (int)d).ToArray()).ToArray();
    }

    /// <summary>Serialises access to the model (the mappers and persistence take it).</summary>
    internal object Gate => _gate;

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
