using System.Text;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>
/// Fills a state dict the way the whole-step parity fixture's weights were made (TestData/parity/README.md,
/// "prior_training_step"): each tensor from its name (FNV-1a) and element index (a 32-bit integer hash), so that
/// the original and ours start from the same bits without storing 41 M values.
/// </summary>
internal static class FormulaWeights
{
    /// <summary>FNV-1a, 32 bits, of the name's UTF-8 bytes.</summary>
    public static uint NameHash(string name)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(name))
            h = unchecked((h ^ b) * 16777619);
        return h;
    }

    /// <summary>u in [−1, 1) for element <paramref name="index"/> of a tensor whose name hashes to <paramref name="h"/>.</summary>
    public static double Uniform(uint h, long index)
    {
        unchecked
        {
            uint x = h + (uint)index * 0x9E3779B9;
            x ^= x >> 16;
            x *= 0x7FEB352D;
            x ^= x >> 15;
            x *= 0x846CA68B;
            x ^= x >> 16;
            return (x >> 8) * Math.Pow(2, -23) - 1;
        }
    }

    /// <summary>The values of one tensor, by the fixture's rules, rounded once to float32.</summary>
    public static float[] Values(string name, long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        uint h = NameHash(name);
        var values = new float[n];
        Func<double, double> rule;
        if (shape.Length == 0)
            rule = _ => Math.Log(100);
        else if (name.EndsWith("running_mean", StringComparison.Ordinal))
            rule = u => 0.1 * u;
        else if (name.EndsWith("running_var", StringComparison.Ordinal))
            rule = u => 1 + 0.5 * Math.Abs(u);
        else if (shape.Length == 1)
            rule = name.EndsWith("weight", StringComparison.Ordinal) ? u => 1 + 0.1 * u : u => 0.1 * u;
        else
        {
            double fanIn = (double)n / shape[0];
            rule = u => u / Math.Sqrt(fanIn);
        }
        Parallel.For(0, (int)n, i => values[i] = (float)rule(Uniform(h, i)));
        return values;
    }

    /// <summary>Fills every entry of <paramref name="state"/> in place (num_batches_tracked to 0).</summary>
    public static void Fill(IDictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in state)
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                t.zero_();
                continue;
            }
            using var values = tensor(Values(name, t.shape), t.shape);
            t.copy_(values);
        }
    }
}
