using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>Reshapes the fixtures' concatenated per-report sentences into our padded, masked batches.</summary>
internal static class ParityHelpers
{
    /// <summary>[Σ T_b, D] with counts [B] → ([B, T_max, D] zero-padded, [B, T_max] bool mask).</summary>
    public static (Tensor Padded, Tensor Mask) Pad(Tensor concatenated, Tensor counts, long? slots = null)
    {
        var n = counts.data<long>().ToArray();
        long max = slots ?? n.Max();
        var padded = zeros(n.Length, max, concatenated.shape[1]);
        var mask = zeros(n.Length, max, dtype: ScalarType.Bool);
        long start = 0;
        for (int b = 0; b < n.Length; b++)
        {
            padded[b].narrow(0, 0, n[b]).copy_(concatenated.narrow(0, start, n[b]));
            mask[b].narrow(0, 0, n[b]).fill_(true);
            start += n[b];
        }
        return (padded, mask);
    }
}
