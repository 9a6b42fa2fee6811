using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// Downscaling of 8-bit gray images by area averaging: each output pixel is the mean of the source pixels its footprint
/// covers, partly covered pixels weighted by the fraction covered (OpenCV's <c>INTER_AREA</c>). Unlike a plain
/// bilinear resize, which reads 4 source pixels per output pixel and so aliases an X-ray shrunk 10×, every source
/// pixel counts; it is close to the antialiased bilinear filter PIL uses in the original's <c>Resize(224)</c>.
/// </summary>
internal static class AreaResize
{
    /// <summary>
    /// Resizes <paramref name="source"/> (row-major, <paramref name="width"/> × <paramref name="height"/>) to
    /// <paramref name="outWidth"/> × <paramref name="outHeight"/>; neither output side may exceed its source side. The array
    /// may be longer than the image (a pooled buffer); what follows the image is not read.
    /// </summary>
    public static byte[] Downscale(byte[] source, int width, int height, int outWidth, int outHeight)
    {
        ArgumentNullException.ThrowIfNull(source);
        if ((long)width * height > source.LongLength)
            throw new ArgumentException($"{source.Length} pixels are fewer than {width} × {height}.", nameof(source));
        if (outWidth < 1 || outHeight < 1 || outWidth > width || outHeight > height)
            throw new ArgumentException($"Area resizing shrinks: {width} × {height} cannot become {outWidth} × {outHeight}.");
        var columns = Footprints(width, outWidth);
        var rows = Footprints(height, outHeight);
        // Rows first: each output row is the weighted sum of the source rows under it, kept in float.
        var rowSums = new float[width];
        var output = new byte[outWidth * outHeight];
        for (int oy = 0; oy < outHeight; oy++)
        {
            Array.Clear(rowSums);
            var (firstRow, rowWeights) = rows[oy];
            for (int k = 0; k < rowWeights.Length; k++)
                AddScaledRow(source.AsSpan((firstRow + k) * width, width), rowWeights[k], rowSums);
            for (int ox = 0; ox < outWidth; ox++)
            {
                var (firstColumn, columnWeights) = columns[ox];
                float sum = 0;
                for (int k = 0; k < columnWeights.Length; k++)
                    sum += columnWeights[k] * rowSums[firstColumn + k];
                output[oy * outWidth + ox] = (byte)Math.Clamp((int)MathF.Round(sum), 0, 255);
            }
        }
        return output;
    }

    // sums[x] += weight · row[x] for every x: sixteen pixels at a time (widened to floats, multiplied, then added - two
    // roundings each, as the plain loop for the rest does, so the result is the same bit for bit on any hardware).
    private static void AddScaledRow(ReadOnlySpan<byte> row, float weight, Span<float> sums)
    {
        int x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var w = Vector128.Create(weight);
            ref byte pixels = ref MemoryMarshal.GetReference(row);
            ref float total = ref MemoryMarshal.GetReference(sums);
            for (; x <= row.Length - 16; x += 16)
            {
                var bytes = Vector128.LoadUnsafe(ref pixels, (nuint)x);
                var (low, high) = Vector128.Widen(bytes);
                var (a, b) = Vector128.Widen(low);
                var (c, d) = Vector128.Widen(high);
                Add(ref total, x, w, a);
                Add(ref total, x + 4, w, b);
                Add(ref total, x + 8, w, c);
                Add(ref total, x + 12, w, d);
            }
        }
        for (; x < row.Length; x++)
            sums[x] += weight * row[x];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref float total, int at, Vector128<float> weight, Vector128<uint> pixels)
    {
        var product = Vector128.Multiply(weight, Vector128.ConvertToSingle(pixels.AsInt32()));
        Vector128.StoreUnsafe(Vector128.Add(Vector128.LoadUnsafe(ref total, (nuint)at), product), ref total, (nuint)at);
    }

    // For each output index, the first source index its footprint touches and the weight of each source index it
    // touches (coverage over footprint length, so the weights add up to 1).
    private static (int First, float[] Weights)[] Footprints(int sourceLength, int outputLength)
    {
        double scale = (double)sourceLength / outputLength;
        var result = new (int, float[])[outputLength];
        for (int o = 0; o < outputLength; o++)
        {
            double start = o * scale,
                end = Math.Min(sourceLength, (o + 1) * scale);
            int first = (int)Math.Floor(start),
                last = Math.Min(sourceLength - 1, (int)Math.Ceiling(end) - 1);
            var weights = new float[last - first + 1];
            for (int s = first; s <= last; s++)
                weights[s - first] = (float)((Math.Min(end, s + 1) - Math.Max(start, s)) / scale);
            result[o] = (first, weights);
        }
        return result;
    }
}
