using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Prior.MLNet.Interop;

/// <summary>
/// The named renamings that real checkpoints need before their keys are ours, each recorded in the report:
/// wrapper prefixes (<c>model.</c> from PyTorch Lightning modules, <c>module.</c> from DataParallel), the older PRIOR
/// projections saved as <c>*_projection.0.*</c>, TensorFlow-era LayerNorm names (<c>gamma</c>/<c>beta</c>) of early
/// BERT checkpoints, and Hugging Face's <c>position_ids</c> buffer (transformers &lt; 4.31 saved it; it is checked to
/// be 0..N−1 and left out).
/// </summary>
internal static partial class StateDictShims
{
    [GeneratedRegex(@"^((?:global|local)_(?:image|text)_projection)\.0\.(weight|bias)$")]
    private static partial Regex OldProjection();

    /// <summary>Applies every shim; the input dictionary is not changed.</summary>
    public static Dictionary<string, Tensor> Normalize(IReadOnlyDictionary<string, Tensor> source, WeightImportReport report)
    {
        var keys = source.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var prefix in new[] { "model.", "module.", "model.", "module." })
        {
            if (keys.Count > 0 && keys.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                keys = keys.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
                report.AddConversion($"removed the '{prefix}' prefix from every key");
            }
        }
        int projections = 0,
            layerNorms = 0;
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in keys)
        {
            var name = key;
            if (OldProjection().Match(name) is { Success: true } m)
            {
                name = $"{m.Groups[1].Value}.{m.Groups[2].Value}";
                projections++;
            }
            if (name.EndsWith("LayerNorm.gamma", StringComparison.Ordinal) || name.EndsWith("LayerNorm.beta", StringComparison.Ordinal))
            {
                name = name.EndsWith("gamma", StringComparison.Ordinal)
                    ? name[..^"gamma".Length] + "weight"
                    : name[..^"beta".Length] + "bias";
                layerNorms++;
            }
            renamed[name] = value;
        }
        if (projections > 0)
            report.AddConversion($"renamed {projections} older '*_projection.0.*' keys to '*_projection.*'");
        if (layerNorms > 0)
            report.AddConversion($"renamed {layerNorms} LayerNorm 'gamma'/'beta' keys to 'weight'/'bias'");
        foreach (var key in renamed.Keys.Where(k => k.EndsWith("embeddings.position_ids", StringComparison.Ordinal)).ToList())
        {
            CheckPositionIds(key, renamed[key], report.Source);
            renamed.Remove(key);
            report.AddIgnored(key, "Hugging Face < 4.31 buffer; checked to be 0..N-1, recomputed by the model");
        }
        return renamed;
    }

    /// <summary>The <c>position_ids</c> buffer transformers &lt; 4.31 saves: int64 [1, N] holding 0..N−1.</summary>
    public static Tensor PositionIds(long length) => arange(length, dtype: ScalarType.Int64).unsqueeze(0);

    private static void CheckPositionIds(string key, Tensor value, string source)
    {
        using var expected = arange(value.numel(), dtype: ScalarType.Int64);
        using var flat = value.flatten().to_type(ScalarType.Int64);
        if (!flat.eq(expected).all().item<bool>())
            throw new InvalidDataException(
                $"{source}: '{key}' is not 0..{value.numel() - 1}; a checkpoint with reordered positions cannot be used as is."
            );
    }
}
