using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// libjpeg's accurate integer inverse DCT (jidctint: <c>jpeg_idct_islow</c>, the default method, which SkiaSharp's codec
/// uses) for one quantisation table, bit for bit: a pass over the eight columns, each result descaled to int, then a
/// pass over the eight rows, descaled and range-limited as libjpeg does (its wrap-around past ±512 included, which only
/// corrupt data reaches).
/// <para>
/// libjpeg computes in 64-bit integers. With AVX2 both passes here run on eight lanes of 32-bit integers - the
/// columns' pass on the block's rows as they are, the rows' pass on the block transposed - which hold every product
/// and sum exactly as long as each pass's inputs stay within ±<see cref="ExactInputBound"/> (the largest sum a pass
/// forms is 178,219 times its largest input, below 2³¹ up to that bound). Every block is checked, pass by pass; one
/// outside the bound takes the 64-bit integer path, as does every block without AVX2. No image comes near it: blocks of
/// pure black and white (stripes, checkerboards, halves, 300 random patterns) at quality 100 reach 1,016 in the first
/// pass's inputs and 4,104 in the second's (a float64 DCT and this transform, recomputed outside the project).
/// </para>
/// <para>
/// The decoder stores a block's 64 coefficients, still quantised, in natural (row-major) order in a block of
/// <see cref="BlockSize"/> ints; positions past the block, which only corrupt data writes to, go to slot 64
/// (<see cref="Slots"/>).
/// </para>
/// </summary>
internal sealed class FullInverseDct
{
    /// <summary>Ints in a block: the 64 coefficients in natural order, then a slot for positions past the block.</summary>
    public const int BlockSize = 72;

    /// <summary>The largest input magnitude (dequantised coefficient, or first-pass result) the 32-bit path takes.</summary>
    public const int ExactInputBound = 12_048;

    // FIX(x) = round(x · 2¹³) of jidctint's constants.
    private const int Fix0298631336 = 2446,
        Fix0390180644 = 3196,
        Fix0541196100 = 4433,
        Fix0765366865 = 6270,
        Fix0899976223 = 7373,
        Fix1175875602 = 9633,
        Fix1501321110 = 12299,
        Fix1847759065 = 15137,
        Fix1961570560 = 16069,
        Fix2053119869 = 16819,
        Fix2562915447 = 20995,
        Fix3072711026 = 25172;
    private const int ConstBits = 13,
        Pass1Bits = 2;
    private const int Pass1Shift = ConstBits - Pass1Bits,
        Pass2Shift = ConstBits + Pass1Bits + 3;

    /// <summary>Zig-zag position (0-95; past 63 only in corrupt data) → slot in a block: its natural position, or 64.</summary>
    public static readonly int[] Slots = BuildSlots();

    private readonly int[] _quant; // row-major

    /// <summary>The transform for a quantisation table given in row-major order (values up to 32767).</summary>
    public FullInverseDct(int[] quantRowMajor)
    {
        ArgumentNullException.ThrowIfNull(quantRowMajor);
        if (quantRowMajor.Length != 64)
            throw new ArgumentException("A quantisation table has 64 values.", nameof(quantRowMajor));
        _quant = quantRowMajor;
    }

    /// <summary>
    /// The 8 × 8 pixels of a block of quantised coefficients (natural order) into <paramref name="pixels"/> from
    /// <paramref name="at"/>, rows <paramref name="stride"/> apart. With <paramref name="dcOnly"/> (every AC
    /// coefficient is zero) the block is flat and is filled directly: libjpeg's passes give every pixel the same value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Transform(ref int block, bool dcOnly, ref byte pixels, nint at, int stride)
    {
        if (dcOnly)
        {
            // First pass: the DC column becomes 4·DC (exactly DESCALE(DC << 13, 11)), the others 0; second pass: each
            // row is flat, DESCALE(4·DC, 5). The same as the full passes, through the same 32-bit wrap.
            int dc = (int)((long)block * _quant[0] << Pass1Bits);
            ulong row = 0x0101010101010101UL * Limit((int)Descale(dc, Pass1Bits + 3));
            for (int y = 0; y < 8; y++)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref pixels, at + (nint)y * stride), row);
            return;
        }
        if (!Avx2.IsSupported || !TransformVector(ref block, ref pixels, at, stride))
            TransformScalar(ref block, ref pixels, at, stride);
    }

    /// <summary>
    /// The pixels of the block at block column <paramref name="blockX"/> and row <paramref name="blockY"/> into a
    /// row-major image of <paramref name="width"/> × <paramref name="height"/>, cropped at its right and bottom edges.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Write(ref int block, bool dcOnly, byte[] image, int width, int height, int blockX, int blockY)
    {
        int x = 8 * blockX,
            y = 8 * blockY;
        if (x + 8 <= width && y + 8 <= height)
        {
            Transform(ref block, dcOnly, ref MemoryMarshal.GetArrayDataReference(image), (nint)y * width + x, width);
            return;
        }
        Span<byte> edge = stackalloc byte[64];
        Transform(ref block, dcOnly, ref MemoryMarshal.GetReference(edge), 0, 8);
        for (int row = 0; row < 8 && y + row < height; row++)
            edge.Slice(row * 8, Math.Min(8, width - x)).CopyTo(image.AsSpan((y + row) * width + x));
    }

    /// <summary>Both passes in 64-bit integers, as libjpeg computes them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void TransformScalar(ref int block, ref byte pixels, nint at, int stride)
    {
        Span<int> workspace = stackalloc int[64];
        Span<long> input = stackalloc long[8];
        Span<long> output = stackalloc long[8];
        for (int column = 0; column < 8; column++)
        {
            for (int row = 0; row < 8; row++)
                input[row] = (long)Unsafe.Add(ref block, row * 8 + column) * _quant[row * 8 + column];
            Pass(input, output);
            for (int row = 0; row < 8; row++)
                workspace[row * 8 + column] = (int)Descale(output[row], Pass1Shift); // libjpeg's workspace is int
        }
        for (int row = 0; row < 8; row++)
        {
            for (int column = 0; column < 8; column++)
                input[column] = workspace[row * 8 + column];
            Pass(input, output);
            for (int column = 0; column < 8; column++)
                Unsafe.Add(ref pixels, at + (nint)row * stride + column) = Limit((int)Descale(output[column], Pass2Shift));
        }
    }

    // One 8-point pass of jidctint, before descaling: even part from inputs 0, 2, 4, 6, odd part from 7, 5, 3, 1. Also
    // the 12-bit decoder's (Dicom.Jpeg12Decoder), whose jidctint differs only in its descaling.
    internal static void Pass(ReadOnlySpan<long> x, Span<long> y)
    {
        long z2 = x[2],
            z3 = x[6];
        long z1 = (z2 + z3) * Fix0541196100;
        long tmp2 = z1 + z3 * -Fix1847759065,
            tmp3 = z1 + z2 * Fix0765366865;
        long tmp0 = (x[0] + x[4]) << ConstBits,
            tmp1 = (x[0] - x[4]) << ConstBits;
        long tmp10 = tmp0 + tmp3,
            tmp13 = tmp0 - tmp3,
            tmp11 = tmp1 + tmp2,
            tmp12 = tmp1 - tmp2;
        tmp0 = x[7];
        tmp1 = x[5];
        tmp2 = x[3];
        tmp3 = x[1];
        z1 = tmp0 + tmp3;
        z2 = tmp1 + tmp2;
        z3 = tmp0 + tmp2;
        long z4 = tmp1 + tmp3;
        long z5 = (z3 + z4) * Fix1175875602;
        tmp0 *= Fix0298631336;
        tmp1 *= Fix2053119869;
        tmp2 *= Fix3072711026;
        tmp3 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = z3 * -Fix1961570560 + z5;
        z4 = z4 * -Fix0390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
        y[0] = tmp10 + tmp3;
        y[7] = tmp10 - tmp3;
        y[1] = tmp11 + tmp2;
        y[6] = tmp11 - tmp2;
        y[2] = tmp12 + tmp1;
        y[5] = tmp12 - tmp1;
        y[3] = tmp13 + tmp0;
        y[4] = tmp13 - tmp0;
    }

    /// <summary>
    /// Both passes on eight lanes of 32-bit integers (AVX2; see the class remarks); false, with nothing written, for a
    /// block whose inputs to a pass exceed <see cref="ExactInputBound"/>. Fully optimised from the first call, its
    /// helpers inlined: it runs for every block, and in tiered compilation's first, unoptimised code (each helper a call,
    /// every vector through memory) a 64 px image took three times as long to decode.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TransformVector(ref int block, ref byte pixels, nint at, int stride)
    {
        ref int quant = ref MemoryMarshal.GetArrayDataReference(_quant);
        var r0 = Vector256.LoadUnsafe(ref block, 0) * Vector256.LoadUnsafe(ref quant, 0);
        var r1 = Vector256.LoadUnsafe(ref block, 8) * Vector256.LoadUnsafe(ref quant, 8);
        var r2 = Vector256.LoadUnsafe(ref block, 16) * Vector256.LoadUnsafe(ref quant, 16);
        var r3 = Vector256.LoadUnsafe(ref block, 24) * Vector256.LoadUnsafe(ref quant, 24);
        var r4 = Vector256.LoadUnsafe(ref block, 32) * Vector256.LoadUnsafe(ref quant, 32);
        var r5 = Vector256.LoadUnsafe(ref block, 40) * Vector256.LoadUnsafe(ref quant, 40);
        var r6 = Vector256.LoadUnsafe(ref block, 48) * Vector256.LoadUnsafe(ref quant, 48);
        var r7 = Vector256.LoadUnsafe(ref block, 56) * Vector256.LoadUnsafe(ref quant, 56);
        // (A coefficient is 16-bit and a quantisation value at most 32767, so each product above is exact in 32 bits.)
        if (!WithinBound(r0, r1, r2, r3, r4, r5, r6, r7))
            return false;
        // Columns: each lane is a column, each vector a row.
        PassVector(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, Pass1Shift);
        if (!WithinBound(r0, r1, r2, r3, r4, r5, r6, r7))
            return false;
        // Rows: transposed, each lane is a row and each vector a column.
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        PassVector(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, Pass2Shift);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        var rows01 = Vector256.Narrow(LimitVector(r0), LimitVector(r1));
        var rows23 = Vector256.Narrow(LimitVector(r2), LimitVector(r3));
        var rows45 = Vector256.Narrow(LimitVector(r4), LimitVector(r5));
        var rows67 = Vector256.Narrow(LimitVector(r6), LimitVector(r7));
        var top = Vector256.Narrow(rows01.AsUInt16(), rows23.AsUInt16()).AsUInt64();
        var bottom = Vector256.Narrow(rows45.AsUInt16(), rows67.AsUInt16()).AsUInt64();
        for (int y = 0; y < 4; y++)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref pixels, at + (nint)y * stride), top.GetElement(y));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref pixels, at + (nint)(y + 4) * stride), bottom.GetElement(y));
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool WithinBound(
        Vector256<int> a,
        Vector256<int> b,
        Vector256<int> c,
        Vector256<int> d,
        Vector256<int> e,
        Vector256<int> f,
        Vector256<int> g,
        Vector256<int> h
    )
    {
        var largest = Vector256.Max(
            Vector256.Max(Vector256.Max(Vector256.Abs(a), Vector256.Abs(b)), Vector256.Max(Vector256.Abs(c), Vector256.Abs(d))),
            Vector256.Max(Vector256.Max(Vector256.Abs(e), Vector256.Abs(f)), Vector256.Max(Vector256.Abs(g), Vector256.Abs(h)))
        );
        return !Vector256.GreaterThanAny(largest, Vector256.Create(ExactInputBound));
    }

    // jidctint's pass on eight lanes at once, descaled by `shift`: inputs x0..x7 in, outputs y0..y7 out, in place.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PassVector(
        ref Vector256<int> x0,
        ref Vector256<int> x1,
        ref Vector256<int> x2,
        ref Vector256<int> x3,
        ref Vector256<int> x4,
        ref Vector256<int> x5,
        ref Vector256<int> x6,
        ref Vector256<int> x7,
        int shift
    )
    {
        var z1 = (x2 + x6) * Fix0541196100;
        var tmp2 = z1 + x6 * -Fix1847759065;
        var tmp3 = z1 + x2 * Fix0765366865;
        var tmp0 = (x0 + x4) << ConstBits;
        var tmp1 = (x0 - x4) << ConstBits;
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;
        var o0 = x7;
        var o1 = x5;
        var o2 = x3;
        var o3 = x1;
        z1 = o0 + o3;
        var z2 = o1 + o2;
        var z3 = o0 + o2;
        var z4 = o1 + o3;
        var z5 = (z3 + z4) * Fix1175875602;
        o0 *= Fix0298631336;
        o1 *= Fix2053119869;
        o2 *= Fix3072711026;
        o3 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = z3 * -Fix1961570560 + z5;
        z4 = z4 * -Fix0390180644 + z5;
        o0 += z1 + z3;
        o1 += z2 + z4;
        o2 += z2 + z3;
        o3 += z1 + z4;
        var half = Vector256.Create(1 << (shift - 1));
        x0 = Vector256.ShiftRightArithmetic(tmp10 + o3 + half, shift);
        x7 = Vector256.ShiftRightArithmetic(tmp10 - o3 + half, shift);
        x1 = Vector256.ShiftRightArithmetic(tmp11 + o2 + half, shift);
        x6 = Vector256.ShiftRightArithmetic(tmp11 - o2 + half, shift);
        x2 = Vector256.ShiftRightArithmetic(tmp12 + o1 + half, shift);
        x5 = Vector256.ShiftRightArithmetic(tmp12 - o1 + half, shift);
        x3 = Vector256.ShiftRightArithmetic(tmp13 + o0 + half, shift);
        x4 = Vector256.ShiftRightArithmetic(tmp13 - o0 + half, shift);
    }

    // An 8 × 8 transpose of 32-bit lanes: pairs, then quads within each 128-bit half, then the halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(
        ref Vector256<int> r0,
        ref Vector256<int> r1,
        ref Vector256<int> r2,
        ref Vector256<int> r3,
        ref Vector256<int> r4,
        ref Vector256<int> r5,
        ref Vector256<int> r6,
        ref Vector256<int> r7
    )
    {
        var t0 = Interleave(r0, r1, low: true);
        var t1 = Interleave(r0, r1, low: false);
        var t2 = Interleave(r2, r3, low: true);
        var t3 = Interleave(r2, r3, low: false);
        var t4 = Interleave(r4, r5, low: true);
        var t5 = Interleave(r4, r5, low: false);
        var t6 = Interleave(r6, r7, low: true);
        var t7 = Interleave(r6, r7, low: false);
        var u0 = InterleavePairs(t0, t2, low: true);
        var u1 = InterleavePairs(t0, t2, low: false);
        var u2 = InterleavePairs(t1, t3, low: true);
        var u3 = InterleavePairs(t1, t3, low: false);
        var u4 = InterleavePairs(t4, t6, low: true);
        var u5 = InterleavePairs(t4, t6, low: false);
        var u6 = InterleavePairs(t5, t7, low: true);
        var u7 = InterleavePairs(t5, t7, low: false);
        r0 = Halves(u0, u4, low: true);
        r1 = Halves(u1, u5, low: true);
        r2 = Halves(u2, u6, low: true);
        r3 = Halves(u3, u7, low: true);
        r4 = Halves(u0, u4, low: false);
        r5 = Halves(u1, u5, low: false);
        r6 = Halves(u2, u6, low: false);
        r7 = Halves(u3, u7, low: false);
    }

    // Within each 128-bit half: a0 b0 a1 b1 (low) or a2 b2 a3 b3 (high).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Interleave(Vector256<int> a, Vector256<int> b, bool low) =>
        low ? Avx2.UnpackLow(a, b) : Avx2.UnpackHigh(a, b);

    // Within each 128-bit half, in 64-bit pairs: a01 b01 (low) or a23 b23 (high).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> InterleavePairs(Vector256<int> a, Vector256<int> b, bool low) =>
        (low ? Avx2.UnpackLow(a.AsInt64(), b.AsInt64()) : Avx2.UnpackHigh(a.AsInt64(), b.AsInt64())).AsInt32();

    // The low 128-bit halves of a and b (low), or the high ones.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Halves(Vector256<int> a, Vector256<int> b, bool low) =>
        low ? Avx2.Permute2x128(a, b, 0x20) : Avx2.Permute2x128(a, b, 0x31);

    // libjpeg's range limit (see Limit) on eight lanes; the results, 0-255, as ints.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> LimitVector(Vector256<int> value) =>
        Vector256.Min(
            Vector256.Max(((value + Vector256.Create(512)) & Vector256.Create(1023)) - Vector256.Create(384), Vector256<int>.Zero),
            Vector256.Create(255)
        );

    // libjpeg's output range limit: the low ten bits as a signed number (-512 to 511), plus 128, clamped to 0-255.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Limit(int value) => (byte)Math.Clamp(((value + 512) & 1023) - 384, 0, 255);

    internal static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

    private static int[] BuildSlots()
    {
        var slots = new int[96];
        Array.Fill(slots, 64);
        for (int k = 0; k < 64; k++)
            slots[k] = JpegZigZag.Natural[k];
        return slots;
    }
}
