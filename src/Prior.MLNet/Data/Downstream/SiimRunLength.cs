using System.Globalization;
using System.Text;

namespace Prior.MLNet.Data.Downstream;

/// <summary>
/// The run-length encoding of SIIM-ACR Pneumothorax masks (<c>train-rle.csv</c>'s EncodedPixels): pixels are numbered
/// column by column (column-major: down the first column, then the next), and the numbers come in pairs — the gap
/// since the end of the previous run (from pixel 0 for the first), then the run's length. "-1" means no pneumothorax.
/// Masks here are row-major bytes (1 inside, 0 outside), as images are. Stage 2's <c>stage_2_train.csv</c> may hold the
/// standard form instead (Kaggle's: each pair a 1-based start pixel and a length, same column-major order);
/// <see cref="FitsStandard"/> tells a mask that can be read so and <see cref="StandardToRelative"/> rewrites it.
/// </summary>
internal static class SiimRunLength
{
    /// <summary>The value SIIM writes for an image without pneumothorax.</summary>
    public const string Empty = "-1";

    /// <summary>
    /// Decodes <paramref name="encoded"/> into a row-major mask of <paramref name="width"/> × <paramref name="height"/>
    /// (1 inside a run). <see cref="Empty"/> or blank gives an empty mask. Throws <see cref="FormatException"/> for an
    /// odd count, a negative or non-numeric value, or a run past the image's end.
    /// </summary>
    public static byte[] Decode(string encoded, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var mask = new byte[width * height];
        DecodeInto(encoded, width, height, mask);
        return mask;
    }

    /// <summary>Null when <paramref name="encoded"/> is well formed (<see cref="Empty"/>, or pairs of non-negative integers), else what is
    /// wrong.</summary>
    public static string? Check(string encoded)
    {
        var text = (encoded ?? string.Empty).Trim();
        if (text.Length == 0 || text == Empty)
            return null;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length % 2 != 0)
            return $"a run-length mask needs pairs of numbers (gap, length); this one has {parts.Length} numbers";
        var bad = parts.FirstOrDefault(p => !long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        return bad is null ? null : $"'{bad}' in the run-length mask is not a non-negative integer";
    }

    /// <summary>Adds the runs of <paramref name="encoded"/> to <paramref name="mask"/> (an image with several masks is their
    /// union).</summary>
    public static void DecodeInto(string encoded, int width, int height, byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Length != width * height)
            throw new ArgumentException($"The mask holds {mask.Length} pixels, not {width} × {height}.", nameof(mask));
        var text = (encoded ?? string.Empty).Trim();
        if (text.Length == 0 || text == Empty)
            return;
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length % 2 != 0)
            throw new FormatException($"A run-length mask needs pairs of numbers (gap, length); this one has {parts.Length} numbers.");
        long position = 0,
            total = (long)width * height;
        for (int i = 0; i < parts.Length; i += 2)
        {
            if (
                !long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var gap)
                || !long.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            )
                throw new FormatException(
                    $"Run {i / 2 + 1} of a run-length mask is not two non-negative integers: '{parts[i]} {parts[i + 1]}'."
                );
            position += gap;
            if (position + length > total)
                throw new FormatException(
                    $"Run {i / 2 + 1} of a run-length mask ends at pixel {position + length}, past the {width} × {height} image's {total}."
                );
            for (long p = position; p < position + length; p++)
            {
                // Column-major index p: column p / height, row p % height.
                long column = p / height,
                    row = p % height;
                mask[row * width + column] = 1;
            }
            position += length;
        }
    }

    /// <summary>
    /// Whether <paramref name="encoded"/> (well formed, see <see cref="Check"/>) reads as the standard form: 1-based
    /// starts, each run beginning after the previous one ends. The relative form almost never does once a mask has two
    /// runs (its gaps are about an image column long, so later "starts" fall before earlier ones).
    /// </summary>
    public static bool FitsStandard(string encoded)
    {
        var values = Numbers(encoded);
        long end = 1;
        for (int i = 0; i < values.Length; i += 2)
        {
            if (values[i] < end)
                return false;
            end = values[i] + values[i + 1];
        }
        return true;
    }

    /// <summary>The number of runs in <paramref name="encoded"/> (well formed; 0 for none).</summary>
    public static int RunCount(string encoded) => Numbers(encoded).Length / 2;

    /// <summary>Rewrites a standard-form mask (<see cref="FitsStandard"/> true) in SIIM's relative form.</summary>
    public static string StandardToRelative(string encoded)
    {
        var values = Numbers(encoded);
        if (values.Length == 0)
            return Empty;
        if (!FitsStandard(encoded))
            throw new FormatException("The run-length mask is not in the standard form (1-based starts in increasing order).");
        var text = new StringBuilder();
        long end = 0;
        for (int i = 0; i < values.Length; i += 2)
        {
            long start = values[i] - 1;
            if (text.Length > 0)
                text.Append(' ');
            text.Append(CultureInfo.InvariantCulture, $"{start - end} {values[i + 1]}");
            end = start + values[i + 1];
        }
        return text.ToString();
    }

    /// <summary>The pixel after the last run of a relative-form mask: the mask fits an image of at least this many pixels.</summary>
    public static long Extent(string encoded) => Numbers(encoded).Sum();

    private static long[] Numbers(string encoded)
    {
        var text = (encoded ?? string.Empty).Trim();
        if (text.Length == 0 || text == Empty)
            return [];
        return text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => long.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture))
            .ToArray();
    }

    /// <summary>Encodes a row-major mask (any non-zero byte is inside) as SIIM does; an empty mask gives <see cref="Empty"/>.</summary>
    public static string Encode(ReadOnlySpan<byte> mask, int width, int height)
    {
        if (mask.Length != width * height)
            throw new ArgumentException($"The mask holds {mask.Length} pixels, not {width} × {height}.", nameof(mask));
        var text = new StringBuilder();
        long end = 0,
            start = -1,
            total = (long)width * height;
        for (long p = 0; p <= total; p++)
        {
            bool inside = p < total && mask[(int)(p % height * width + p / height)] != 0;
            if (inside && start < 0)
                start = p;
            if (!inside && start >= 0)
            {
                if (text.Length > 0)
                    text.Append(' ');
                text.Append(CultureInfo.InvariantCulture, $"{start - end} {p - start}");
                end = p;
                start = -1;
            }
        }
        return text.Length == 0 ? Empty : text.ToString();
    }
}
