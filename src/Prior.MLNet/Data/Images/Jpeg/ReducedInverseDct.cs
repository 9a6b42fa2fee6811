using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// libjpeg's reduced-size inverse DCTs (jidctred: <c>jpeg_idct_1x1</c> and <c>jpeg_idct_2x2</c>), bit for bit, for one
/// quantisation table. At 1/8 a block's pixel is its dequantised DC term over 8; at 2/8 its four pixels are the means of
/// its quarters, which depend on frequencies 0, 1, 3, 5 and 7 of each direction only (the even ones above 0 sum to zero
/// over half a block): a first pass over those five columns, each descaled as libjpeg does, then a second over the two
/// rows.
/// <para>
/// The decoder stores only the 25 coefficients this needs, still quantised, in a compact block of <see cref="BlockSize"/>
/// ints: row r ∈ {0, 1, 3, 5, 7} at 8·R (R its index in that list), column c ∈ {0, 1, 3, 5, 7} at C; every other
/// coefficient goes to the unused slot 7 (<see cref="Slots"/>). Quantisation is folded into the first pass's
/// multipliers - an integer product does not depend on the order of its factors.
/// </para>
/// <para>
/// With AVX and a table of 8-bit values the first pass runs on four columns at once in doubles: every product and sum
/// is then an integer below 2⁵³, so doubles hold it exactly, and descaling (adding half, scaling by a power of two,
/// flooring) is exact too - the same numbers as libjpeg's 64-bit integers. A 16-bit table (values up to 32767) could
/// pass 2⁵³ in the second pass, so it takes the integer path.
/// </para>
/// </summary>
internal sealed class ReducedInverseDct
{
    /// <summary>Ints in a compact block (see the class remarks).</summary>
    public const int BlockSize = 40;

    // FIX(x) = round(x · 2¹³) of jidctred's constants: the quarter means' weights of frequencies 1, 3, 5, 7, scaled.
    private const long Fix0720959822 = 5906,
        Fix0850430095 = 6967,
        Fix1272758580 = 10426,
        Fix3624509785 = 29692;
    private const int ConstBits = 13,
        Pass1Bits = 2;
    private const int Pass1Shift = ConstBits - Pass1Bits + 2,
        Pass2Shift = ConstBits + Pass1Bits + 3 + 2;

    // The five rows' (and columns') multipliers: the DC term's shift, then frequencies 1, 3, 5, 7.
    private static readonly long[] Multipliers = [1L << (ConstBits + 2), Fix3624509785, -Fix1272758580, Fix0850430095, -Fix0720959822];
    private static readonly int[] Frequencies = [0, 1, 3, 5, 7];

    /// <summary>
    /// Zig-zag position (0-95; past 63 only in corrupt data) → slot in a compact block; 7 for every coefficient the
    /// result does not depend on.
    /// </summary>
    public static readonly int[] Slots = BuildSlots();

    // libjpeg's output range limit: index (value & 1023) → value + 128 clamped to 0-255, with libjpeg's wrap-around for
    // results outside ±512 (which valid data never reaches) kept for bit-exactness.
    private static readonly byte[] RangeLimit = BuildRangeLimit();

    private readonly int _dcQuant;
    private readonly bool _vector; // see the class remarks
    private readonly long[] _weights = new long[BlockSize]; // per slot: quant · row multiplier
    private readonly double[] _rowWeights = new double[5 * 4]; // per row R, columns 0, 1, 3, 5, as doubles

    /// <summary>The transforms for a quantisation table given in row-major order.</summary>
    public ReducedInverseDct(int[] quantRowMajor)
    {
        ArgumentNullException.ThrowIfNull(quantRowMajor);
        _dcQuant = quantRowMajor[0];
        _vector = Avx.IsSupported && quantRowMajor.All(q => q <= byte.MaxValue);
        for (int row = 0; row < 5; row++)
        {
            for (int column = 0; column < 5; column++)
            {
                long weight = quantRowMajor[Frequencies[row] * 8 + Frequencies[column]] * Multipliers[row];
                _weights[row * 8 + column] = weight;
                if (column < 4)
                    _rowWeights[row * 4 + column] = weight;
            }
        }
    }

    /// <summary>The 1/8 pixel of a block with DC term <paramref name="dc"/> (quantised).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Eighth(int dc) => RangeLimit[(int)Descale((long)dc * _dcQuant, 3) & 1023];

    /// <summary>The 2/8 pixels of a compact block: top left, top right, bottom left, bottom right.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (byte, byte, byte, byte) Quarters(ref int block) => _vector ? QuartersVector(ref block) : QuartersScalar(ref block);

    /// <summary>The 2/8 pixels with 64-bit integers, as libjpeg computes them.</summary>
    public (byte, byte, byte, byte) QuartersScalar(ref int block)
    {
        ref long weights = ref MemoryMarshal.GetArrayDataReference(_weights);
        Span<long> top = stackalloc long[5],
            bottom = stackalloc long[5];
        for (int column = 0; column < 5; column++)
        {
            long even = Unsafe.Add(ref block, column) * Unsafe.Add(ref weights, column);
            long odd = 0;
            for (int row = 1; row < 5; row++)
                odd += Unsafe.Add(ref block, row * 8 + column) * Unsafe.Add(ref weights, row * 8 + column);
            top[column] = Descale(even + odd, Pass1Shift);
            bottom[column] = Descale(even - odd, Pass1Shift);
        }
        var (topLeft, topRight) = Row(
            top[0] * Multipliers[0],
            top[1] * Multipliers[1] + top[2] * Multipliers[2] + top[3] * Multipliers[3] + top[4] * Multipliers[4]
        );
        var (bottomLeft, bottomRight) = Row(
            bottom[0] * Multipliers[0],
            bottom[1] * Multipliers[1] + bottom[2] * Multipliers[2] + bottom[3] * Multipliers[3] + bottom[4] * Multipliers[4]
        );
        return (topLeft, topRight, bottomLeft, bottomRight);
    }

    /// <summary>The 2/8 pixels with the first pass on four columns at once (AVX, exact in doubles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (byte, byte, byte, byte) QuartersVector(ref int block)
    {
        ref double w = ref MemoryMarshal.GetArrayDataReference(_rowWeights);
        ref long weights = ref MemoryMarshal.GetArrayDataReference(_weights);
        // Columns 0, 1, 3, 5 of the five rows, four lanes each.
        var even = Avx.Multiply(Load(ref block, 0), Vector256.LoadUnsafe(ref w, 0));
        var odd = Avx.Add(
            Avx.Add(
                Avx.Multiply(Load(ref block, 8), Vector256.LoadUnsafe(ref w, 4)),
                Avx.Multiply(Load(ref block, 16), Vector256.LoadUnsafe(ref w, 8))
            ),
            Avx.Add(
                Avx.Multiply(Load(ref block, 24), Vector256.LoadUnsafe(ref w, 12)),
                Avx.Multiply(Load(ref block, 32), Vector256.LoadUnsafe(ref w, 16))
            )
        );
        var half = Vector256.Create((double)(1L << (Pass1Shift - 1)));
        var scale = Vector256.Create(1.0 / (1L << Pass1Shift));
        var top = Avx.Floor(Avx.Multiply(Avx.Add(Avx.Add(even, odd), half), scale));
        var bottom = Avx.Floor(Avx.Multiply(Avx.Add(Avx.Subtract(even, odd), half), scale));
        // Column 7 in integers.
        long even7 = Unsafe.Add(ref block, 4) * Unsafe.Add(ref weights, 4);
        long odd7 =
            Unsafe.Add(ref block, 12) * Unsafe.Add(ref weights, 12)
            + Unsafe.Add(ref block, 20) * Unsafe.Add(ref weights, 20)
            + Unsafe.Add(ref block, 28) * Unsafe.Add(ref weights, 28)
            + Unsafe.Add(ref block, 36) * Unsafe.Add(ref weights, 36);
        long top7 = Descale(even7 + odd7, Pass1Shift),
            bottom7 = Descale(even7 - odd7, Pass1Shift);
        // Second pass: each row's terms, then its two pixels.
        var multipliers = Vector256.Create((double)Multipliers[0], Multipliers[1], Multipliers[2], Multipliers[3]);
        var (topLeft, topRight) = RowOf(Avx.Multiply(top, multipliers), top7);
        var (bottomLeft, bottomRight) = RowOf(Avx.Multiply(bottom, multipliers), bottom7);
        return (topLeft, topRight, bottomLeft, bottomRight);
    }

    // Four ints (columns 0, 1, 3, 5 of a compact row) as four doubles.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load(ref int block, int at) =>
        Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref block, (nuint)at));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (byte, byte) RowOf(Vector256<double> terms, long column7)
    {
        var low = terms.GetLower();
        var high = terms.GetUpper();
        long even = (long)low.ToScalar();
        long odd = (long)(low.GetElement(1) + high.ToScalar() + high.GetElement(1)) + column7 * Multipliers[4];
        return Row(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (byte, byte) Row(long even, long odd)
    {
        ref byte limit = ref MemoryMarshal.GetArrayDataReference(RangeLimit);
        return (
            Unsafe.Add(ref limit, (int)Descale(even + odd, Pass2Shift) & 1023),
            Unsafe.Add(ref limit, (int)Descale(even - odd, Pass2Shift) & 1023)
        );
    }

    private static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

    private static int[] BuildSlots()
    {
        var slots = new int[96];
        Array.Fill(slots, 7);
        var natural = JpegZigZag.Natural;
        for (int k = 0; k < 64; k++)
        {
            int row = Array.IndexOf(Frequencies, natural[k] / 8),
                column = Array.IndexOf(Frequencies, natural[k] % 8);
            if (row >= 0 && column >= 0)
                slots[k] = row * 8 + column;
        }
        return slots;
    }

    private static byte[] BuildRangeLimit()
    {
        var table = new byte[1024];
        for (int i = 0; i < 1024; i++)
        {
            int value = i < 512 ? i : i - 1024; // the low ten bits as a signed number
            table[i] = (byte)Math.Clamp(value + 128, 0, 255);
        }
        return table;
    }
}
