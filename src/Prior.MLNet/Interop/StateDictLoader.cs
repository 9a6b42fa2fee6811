using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Interop;

/// <summary>Copies a name → tensor dictionary into a module's state, key by key, recording everything in a report.</summary>
internal static class StateDictLoader
{
    /// <summary>
    /// Copies every tensor of <paramref name="source"/> whose key (after <paramref name="ourPrefix"/> is added, for the
    /// report) is one of <paramref name="target"/>'s with the same shape; the rest is recorded as missing, unexpected or
    /// mismatched. A [1]-shaped tensor fills a 0-d one (older pickles store scalars so).
    /// </summary>
    public static void Load(nn.Module target, IReadOnlyDictionary<string, Tensor> source, WeightImportReport report, string ourPrefix = "")
    {
        var ours = target.state_dict();
        using var noGrad = no_grad();
        foreach (var (key, tensor) in ours)
        {
            if (!source.TryGetValue(key, out var value))
            {
                report.AddMissing(ourPrefix + key);
                continue;
            }
            bool sameShape = value.shape.SequenceEqual(tensor.shape) || (value.numel() == 1 && tensor.numel() == 1);
            if (!sameShape)
            {
                report.AddShapeMismatch(ourPrefix + key, value.shape, tensor.shape);
                continue;
            }
            tensor.copy_(value.reshape(tensor.shape).to(tensor.dtype));
            report.AddLoaded(ourPrefix + key);
        }
        foreach (var key in source.Keys.Where(k => !ours.ContainsKey(k)))
            report.AddUnexpected(ourPrefix + key);
    }

    /// <summary>
    /// Throws a <see cref="WeightImportException"/> unless the import is complete, or <paramref name="allowPartial"/>.
    /// Missing keys that <paramref name="mayStayRandom"/> accepts (parts a partial start leaves random on purpose) do
    /// not count, but stay listed.
    /// </summary>
    public static void EnsureComplete(WeightImportReport report, bool allowPartial, Func<string, bool>? mayStayRandom = null)
    {
        if (allowPartial)
            return;
        bool missing = report.Missing.Any(k => mayStayRandom is null || !mayStayRandom(k));
        if (missing || report.Unexpected.Count > 0 || report.ShapeMismatches.Count > 0)
            throw new WeightImportException(report);
    }
}
