using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// Decodes a grayscale baseline JPEG - the form of MIMIC-CXR-JPG's and CheXpert's radiographs - straight to 1/8 or 2/8
/// of its size, as libjpeg-turbo's DCT scaling does, or whole, and with the same result as libjpeg-turbo, bit for bit:
/// at 1/8 each 8 × 8 block becomes its DC term (the block's mean), at 2/8 four pixels from the block's 2 × 2 reduced
/// inverse DCT (the means of its four quarters, from frequencies 0, 1, 3, 5 and 7 of each direction), whole through
/// libjpeg's accurate integer inverse DCT (<see cref="FullInverseDct"/>). A reduced image is tiny next to the file, so
/// the time is the Huffman decoding of the coefficients. Built for that: the scan's data is first copied with its
/// stuffed bytes removed, so that the bit buffer refills without a branch (<see cref="JpegBitReader"/>); one table
/// read yields a whole coefficient, code and extra bits (<see cref="JpegHuffmanTable.PairCoefficients"/>); at the
/// reduced scales only the 25 coefficients the output depends on are kept, and the 2 × 2 transform runs four columns
/// at once (<see cref="ReducedInverseDct"/>). On 2544 × 3056 radiographs it decodes 1.6 times as many images per second
/// as libjpeg-turbo through SkiaSharp at 1/8, and the whole input pipeline at 2/8 outpaces libjpeg-turbo's own
/// <c>djpeg</c> at 1/8; small images (CheXpert's downsampled set, the synthetic data) decode whole about twice as fast
/// as through SkiaSharp (docs/performance.md). Scales 3/8 to 7/8 are SkiaSharp's.
/// <para>
/// Anything else - colour or several components, progressive, arithmetic-coded, 12-bit, lossless, hierarchical,
/// scans with a defined line count, malformed headers - is declined (TryDecode returns false) for SkiaSharp's full
/// decoder. A damaged scan of this decoder's form - data that ends before the last block (or too short for the blocks
/// declared, found before the output is allocated), a code no table holds, a missing restart marker - is declined
/// too, and named: the caller refuses the file rather than let another decoder fill in the missing blocks with gray.
/// </para>
/// </summary>
internal static class GrayscaleJpegDecoder
{
    /// <summary>
    /// Decodes <paramref name="file"/> at the smallest DCT scale k/8 whose sides, as libjpeg rounds them
    /// (⌈side · k / 8⌉), are both at least <paramref name="minimumSide"/> - the scale SkiaSharp's codec would be asked
    /// for; whole for <paramref name="minimumSide"/> 0 - when that scale is 1/8, 2/8 or 8/8 and the file is a grayscale
    /// baseline JPEG of at most <paramref name="maxPixels"/> pixels: row-major gray pixels, not yet turned upright, and
    /// the EXIF orientation (1-8, 1 when the file has none) that would turn them. False, with nothing returned, for
    /// anything else.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> file, int minimumSide, long maxPixels, out DecodedJpeg image) =>
        TryDecode(file, minimumSide, maxPixels, out image, out _);

    /// <summary>
    /// <see cref="TryDecode(ReadOnlySpan{byte}, int, long, out DecodedJpeg)"/>, telling why a file of the form this decoder
    /// takes was not decoded: <paramref name="corruption"/> says how its scan is damaged (its data ends before the last
    /// block, a code no table holds, a restart marker missing), which no other decoder should then be asked to fill in;
    /// null when the file was decoded or is simply not of this decoder's form.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> file, int minimumSide, long maxPixels, out DecodedJpeg image, out string? corruption)
    {
        image = default;
        corruption = null;
        if (minimumSide < 0 || !ReadHeaders(file, out var frame) || (long)frame.Width * frame.Height > maxPixels)
            return false;
        int eighths = minimumSide == 0 ? 8 : SmallestScale(frame.Width, frame.Height, minimumSide);
        return eighths is 1 or 2 or 8 && Decode(file, frame, eighths, out image, out corruption);
    }

    /// <summary>
    /// The smallest of libjpeg's DCT scales k/8 (k = 1 to 7) whose sides, ⌈side · k / 8⌉ as libjpeg rounds them, are
    /// both at least <paramref name="minimumSide"/> and smaller than the image: k, or 8 (decode whole) when none is.
    /// The one rule for this decoder and for SkiaSharp's codec (<see cref="GrayscaleImage"/>).
    /// </summary>
    public static int SmallestScale(int width, int height, int minimumSide)
    {
        for (int k = 1; k < 8; k++)
        {
            int w = ScaledSide(width, k),
                h = ScaledSide(height, k);
            if (w >= minimumSide && h >= minimumSide && w < width)
                return k;
        }
        return 8;
    }

    /// <summary>
    /// Decodes <paramref name="file"/> at <paramref name="eighths"/>/8 (1, 2 or 8) of its size, into
    /// ⌈width · eighths / 8⌉ × ⌈height · eighths / 8⌉ pixels; false, with nothing returned, when the file is not a
    /// grayscale baseline JPEG or is malformed.
    /// </summary>
    public static bool TryDecodeAt(ReadOnlySpan<byte> file, int eighths, out DecodedJpeg image)
    {
        image = default;
        return eighths is 1 or 2 or 8 && ReadHeaders(file, out var frame) && Decode(file, frame, eighths, out image, out _);
    }

    private static int ScaledSide(int side, int eighths) => (int)(((long)side * eighths + 7) / 8);

    private static bool Decode(ReadOnlySpan<byte> file, Frame frame, int eighths, out DecodedJpeg image, out string? corruption)
    {
        image = default;
        corruption = null;
        int width = ScaledSide(frame.Width, eighths),
            height = ScaledSide(frame.Height, eighths);
        long blocks = (long)((frame.Width + 7) / 8) * ((frame.Height + 7) / 8);
        using var entropy = JpegBitReader.Read(file, frame.ScanStart);
        // Before the output is allocated: every block costs at least two bits (its DC code and its end of block), so a
        // scan this short cannot be the image its header declares - a damaged or hostile file, refused at once.
        if (8L * entropy.Length < 2 * blocks)
        {
            corruption =
                $"corrupt: the JPEG declares {frame.Width:N0} × {frame.Height:N0} pixels, {blocks:N0} blocks that need at least "
                + $"{(2 * blocks + 7) / 8:N0} bytes of coded data; it holds {entropy.Length:N0}";
            return false;
        }
        var output = GC.AllocateUninitializedArray<byte>(checked(width * height)); // every pixel is written
        var quant = frame.Quant!;
        var result = eighths switch
        {
            1 => DecodeScan(
                entropy,
                file,
                frame,
                ReducedInverseDct.Slots,
                ReducedInverseDct.BlockSize,
                new EighthWriter(new ReducedInverseDct(quant), output, width)
            ),
            2 => DecodeScan(
                entropy,
                file,
                frame,
                ReducedInverseDct.Slots,
                ReducedInverseDct.BlockSize,
                new QuarterWriter(new ReducedInverseDct(quant), output, width, height)
            ),
            _ => DecodeScan(
                entropy,
                file,
                frame,
                FullInverseDct.Slots,
                FullInverseDct.BlockSize,
                new WholeWriter(new FullInverseDct(quant), output, width, height)
            ),
        };
        if (result.Failure != ScanFailure.None)
        {
            corruption = result.Failure switch
            {
                ScanFailure.Declined => null,
                ScanFailure.EndsEarly => $"corrupt: the JPEG data ends after {result.Block:N0} of {blocks:N0} blocks",
                ScanFailure.Restart =>
                    $"corrupt: a restart marker of the JPEG is missing or out of turn before block {result.Block + 1:N0} of {blocks:N0}",
                _ => $"corrupt: the JPEG data holds a code no Huffman table has at block {result.Block + 1:N0} of {blocks:N0}",
            };
            return false;
        }
        image = new DecodedJpeg(output, width, height, frame.Orientation);
        return true;
    }

    // Why a scan was not decoded, and at which block.
    private enum ScanFailure : byte
    {
        None,
        Declined, // a table left to SkiaSharp
        EndsEarly,
        BadCode,
        Restart,
    }

    private readonly record struct ScanResult(ScanFailure Failure, long Block);

    private sealed class Frame
    {
        public int Width,
            Height,
            ComponentId,
            QuantSelector,
            RestartInterval,
            ScanStart,
            Orientation = 1;
        public bool HaveOrientation;
        public int[]? Quant; // row-major
        public int DcAt = -1,
            AcAt = -1; // where the scan's tables start in the file
    }

    // Walks the markers up to the (only) scan; false for anything this decoder does not take. Fully optimised from the
    // first call, as the per-image work around the decoding loop is: a small image's whole decode is a few of its calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ReadHeaders(ReadOnlySpan<byte> file, out Frame frame)
    {
        frame = new Frame();
        if (file.Length < 4 || file[0] != 0xFF || file[1] != 0xD8)
            return false;
        // Where each table's 16 code-length counts start; the tables are built only once the file is known to be
        // decoded here, not for files left to SkiaSharp.
        int[] dcTables = [-1, -1, -1, -1],
            acTables = [-1, -1, -1, -1];
        var quantTables = new int[4][];
        bool haveFrame = false;
        int position = 2;
        while (true)
        {
            if (position >= file.Length || file[position] != 0xFF)
                return false;
            while (position < file.Length && file[position] == 0xFF)
                position++; // fill bytes
            if (position + 2 >= file.Length)
                return false;
            int marker = file[position++];
            // No standalone marker belongs here, and codes below 0xC0 or reserved ones (DHP, EXP, JPGn) are markers
            // libjpeg does not know: it stops at them.
            if (marker is < 0xC0 or 0xD8 or 0xD9 or (>= 0xD0 and <= 0xD7) or 0xDE or 0xDF or (>= 0xF0 and <= 0xFD))
                return false;
            int length = BinaryPrimitives.ReadUInt16BigEndian(file.Slice(position));
            if (length < 2 || position + length > file.Length)
                return false;
            var segment = file.Slice(position + 2, length - 2);
            switch (marker)
            {
                case 0xC0 or 0xC1: // baseline, or extended sequential with Huffman coding
                    if (haveFrame || segment.Length != 9 || segment[0] != 8 || segment[5] != 1)
                        return false;
                    frame.Height = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(1));
                    frame.Width = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(3));
                    frame.ComponentId = segment[6];
                    frame.QuantSelector = segment[8];
                    int horizontal = segment[7] >> 4,
                        vertical = segment[7] & 15;
                    if (horizontal is < 1 or > 4 || vertical is < 1 or > 4)
                        return false; // sampling factors libjpeg refuses
                    if (frame.Width == 0 || frame.Height == 0 || frame.QuantSelector > 3)
                        return false;
                    haveFrame = true;
                    break;
                case >= 0xC2 and <= 0xCF when marker != 0xC4:
                    return false; // progressive, lossless, hierarchical, arithmetic-coded, or the reserved JPG
                case 0xC4:
                    if (!ReadHuffmanTables(segment, position + 2, dcTables, acTables))
                        return false;
                    break;
                case 0xDB:
                    if (!ReadQuantTables(segment, quantTables))
                        return false;
                    break;
                case 0xDD:
                    if (segment.Length != 2)
                        return false;
                    frame.RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case 0xDC:
                    return false; // DNL: the line count comes after the scan
                case 0xDA:
                    if (!haveFrame || segment.Length != 6 || segment[0] != 1 || segment[1] != frame.ComponentId)
                        return false;
                    if (segment[3] != 0 || segment[4] != 63 || segment[5] != 0)
                        return false; // full spectrum, no approximation
                    int dc = segment[2] >> 4,
                        ac = segment[2] & 15;
                    if (dc > 3 || ac > 3)
                        return false;
                    frame.DcAt = dcTables[dc];
                    frame.AcAt = acTables[ac];
                    frame.Quant = quantTables[frame.QuantSelector];
                    frame.ScanStart = position + length;
                    return frame.DcAt >= 0 && frame.AcAt >= 0 && frame.Quant is not null;
                case 0xE1 when segment.StartsWith("Exif\0\0"u8):
                    // The first EXIF block with an orientation tag, as SkiaSharp's codec reads them; a block it might
                    // read otherwise (malformed, or an orientation outside 1-8) leaves the whole file to it.
                    if (!frame.HaveOrientation)
                    {
                        int orientation = ExifOrientation.Read(segment.Slice(6));
                        if (orientation < 0)
                            return false;
                        if (orientation > 0)
                            (frame.Orientation, frame.HaveOrientation) = (orientation, true);
                    }
                    break;
                default:
                    break; // other APPn (JFIF, ICC), COM and the like carry nothing the pixels need
            }
            position += length;
        }
    }

    // Notes where each table of a DHT segment (at offset `at` of the file) starts; checks only the segment's layout.
    private static bool ReadHuffmanTables(ReadOnlySpan<byte> segment, int at, int[] dcTables, int[] acTables)
    {
        while (segment.Length > 0)
        {
            if (segment.Length < 17)
                return false;
            int kind = segment[0] >> 4,
                index = segment[0] & 15;
            if (kind > 1 || index > 3)
                return false;
            int total = 0;
            foreach (var c in segment.Slice(1, 16))
                total += c;
            if (total > 256 || segment.Length < 17 + total)
                return false;
            (kind == 0 ? dcTables : acTables)[index] = at + 1;
            segment = segment.Slice(17 + total);
            at += 17 + total;
        }
        return true;
    }

    // The table whose counts start at `at` (its symbols follow them), the thread's own; null for one left to SkiaSharp.
    private static JpegHuffmanTable? BuildTable(ReadOnlySpan<byte> file, int at, bool ac)
    {
        var counts = file.Slice(at, 16);
        int total = 0;
        foreach (var c in counts)
            total += c;
        return JpegHuffmanTable.ForThisThread(counts, file.Slice(at + 16, total), ac);
    }

    private static bool ReadQuantTables(ReadOnlySpan<byte> segment, int[][] quantTables)
    {
        while (segment.Length > 0)
        {
            int precision = segment[0] >> 4,
                index = segment[0] & 15;
            int size = precision == 0 ? 64 : 128;
            if (precision > 1 || index > 3 || segment.Length < 1 + size)
                return false;
            var table = new int[64]; // row-major, as the coefficients are stored
            for (int k = 0; k < 64; k++)
                table[JpegZigZag.Natural[k]] =
                    precision == 0 ? segment[1 + k] : BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(1 + 2 * k));
            // libjpeg-turbo keeps quantisation values in 16-bit signed multipliers, so one over 32767 (no encoder writes
            // one: libjpeg caps them there) would wrap; such a table is left to it.
            if (table.Max() > short.MaxValue)
                return false;
            quantTables[index] = table;
            segment = segment.Slice(1 + size);
        }
        return true;
    }

    // What the decoding loop does with each block's coefficients, one writer per scale: the loop is compiled once for
    // each (a struct type argument), with only that scale's state beside the bit buffer - one loop for all three
    // scales, branching per block, decoded radiographs at 2/8 about 2 % slower.
    private interface IBlockWriter
    {
        void Write(ref int coefficients, bool dcOnly, int blockX, int blockY);
    }

    // 1/8: each block's pixel.
    private readonly struct EighthWriter(ReducedInverseDct idct, byte[] output, int width) : IBlockWriter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref int coefficients, bool dcOnly, int blockX, int blockY) =>
            output[(long)blockY * width + blockX] = idct.Eighth(coefficients);
    }

    // 2/8: each block's four pixels, cropped at the right and bottom edges.
    private readonly struct QuarterWriter(ReducedInverseDct idct, byte[] output, int width, int height) : IBlockWriter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref int coefficients, bool dcOnly, int blockX, int blockY)
        {
            var (topLeft, topRight, bottomLeft, bottomRight) = idct.Quarters(ref coefficients);
            int x = 2 * blockX,
                y = 2 * blockY;
            long at = (long)y * width + x;
            output[at] = topLeft;
            if (x + 1 < width)
                output[at + 1] = topRight;
            if (y + 1 < height)
            {
                output[at + width] = bottomLeft;
                if (x + 1 < width)
                    output[at + width + 1] = bottomRight;
            }
        }
    }

    // Whole: each block's 64 pixels, through a call (the transform is large; the loop keeps its registers).
    private readonly struct WholeWriter(FullInverseDct idct, byte[] output, int width, int height) : IBlockWriter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref int coefficients, bool dcOnly, int blockX, int blockY) =>
            idct.Write(ref coefficients, dcOnly, output, width, height, blockX, blockY);
    }

    // The hot loop: the bit buffer lives in locals (registers), tables are read without bounds checks where the index
    // is bounded by construction (a table's prefix width, a zig-zag position checked to be at most 95).
    // Fully optimised from the first call: it runs once per image, so tiered compilation would leave the first images
    // of a run (all of a short benchmark) in its slower on-stack-replacement code. `slotTable` maps zig-zag positions
    // to the writer's block layout of `blockSize` ints.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ScanResult DecodeScan<TWriter>(
        JpegBitReader entropy,
        ReadOnlySpan<byte> file,
        Frame frame,
        int[] slotTable,
        int blockSize,
        TWriter writer
    )
        where TWriter : struct, IBlockWriter
    {
        if (!entropy.EndsInMarker)
            return new(ScanFailure.EndsEarly, 0); // cut off inside the scan
        int blocksWide = (frame.Width + 7) / 8,
            blocksHigh = (frame.Height + 7) / 8;
        int interval = frame.RestartInterval;
        if (interval > 0)
        {
            // Every interval but the last ends in the next RSTn, numbered 0 to 7 in turn.
            long intervals = ((long)blocksWide * blocksHigh + interval - 1) / interval;
            if (entropy.RestartMarkers.Count < intervals - 1)
                return new(ScanFailure.Restart, (entropy.RestartMarkers.Count + 1L) * interval);
            for (int i = 0; i < intervals - 1; i++)
                if (entropy.RestartMarkers[i] != (i & 7))
                    return new(ScanFailure.Restart, (i + 1L) * interval);
        }
        if (BuildTable(file, frame.DcAt, ac: false) is not { } dcTable || BuildTable(file, frame.AcAt, ac: true) is not { } acTable)
            return new(ScanFailure.Declined, 0);
        ref byte data = ref MemoryMarshal.GetArrayDataReference(entropy.Data);
        ref ulong pairs = ref MemoryMarshal.GetArrayDataReference(acTable.PairCoefficients);
        ref int slots = ref MemoryMarshal.GetArrayDataReference(slotTable);
        ulong bits = 0;
        int count = 0,
            position = 0,
            intervalIndex = 0;
        // The coefficients the output needs: at 1/8 and 2/8 a compact few, at 8/8 all 64 in natural order.
        Span<int> block = stackalloc int[blockSize];
        ref int coefficients = ref MemoryMarshal.GetReference(block);
        int predictor = 0,
            untilRestart = interval;
        for (int by = 0; by < blocksHigh; by++)
        {
            for (int bx = 0; bx < blocksWide; bx++)
            {
                if (interval > 0)
                {
                    if (untilRestart == 0)
                    {
                        intervalIndex++;
                        if (!JpegBitReader.WithinData(position, count, entropy.IntervalStarts[intervalIndex]))
                            return new(ScanFailure.EndsEarly, (long)by * blocksWide + bx);
                        position = entropy.IntervalStarts[intervalIndex];
                        bits = 0;
                        count = 0;
                        predictor = 0;
                        untilRestart = interval;
                    }
                    untilRestart--;
                }
                // DC: a size category, then that many bits of difference from the previous block's DC (F.2.2.1).
                JpegBitReader.Fill(ref data, ref bits, ref count, ref position);
                int entry = dcTable.Decode((int)(bits >> 48));
                if (entry < 0)
                    return new(ScanFailure.BadCode, (long)by * blocksWide + bx);
                int length = entry & 0xFF,
                    dcSize = entry >> 8; // at most 11: the table was checked
                bits <<= length;
                count -= length;
                if (dcSize > 0)
                {
                    predictor += JpegHuffmanTable.Extend((int)(bits >> (64 - dcSize)), dcSize);
                    bits <<= dcSize;
                    count -= dcSize;
                }
                coefficients = (short)predictor; // libjpeg keeps coefficients in 16 bits
                // AC, in zig-zag order (F.2.2.2), kept quantised (only the few the output needs are dequantised); at 1/8
                // only their lengths matter. Two steps per refill: one takes at most 26 of the 56 bits a refill leaves.
                int k = 1,
                    status;
                do
                {
                    JpegBitReader.Fill(ref data, ref bits, ref count, ref position);
                    status = AcStep(acTable, ref pairs, ref slots, ref coefficients, ref bits, ref count, ref k);
                    if (status == 0)
                        status = AcStep(acTable, ref pairs, ref slots, ref coefficients, ref bits, ref count, ref k);
                } while (status == 0);
                // Past the data by more than a refill reads ahead: corrupt or truncated. (Checked once a block, this also
                // keeps every read inside the padded copy.)
                if (position > entropy.Length + 7)
                    return new(ScanFailure.EndsEarly, (long)by * blocksWide + bx);
                if (status < 0)
                    return new(ScanFailure.BadCode, (long)by * blocksWide + bx);
                writer.Write(ref coefficients, k == 1, bx, by);
                block.Clear();
            }
        }
        int end = intervalIndex + 1 < entropy.IntervalStarts.Count ? entropy.IntervalStarts[intervalIndex + 1] : entropy.Length;
        return JpegBitReader.WithinData(position, count, end)
            ? new(ScanFailure.None, 0)
            : new(ScanFailure.EndsEarly, (long)blocksWide * blocksHigh - 1);
    }

    // One step of a block's AC decoding: up to two coefficients (and the end of the block) from one pair-table read, or
    // one symbol the long way. 0: go on; 1: the block is complete; -1: corrupt data (no such code, or a position past
    // the block).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AcStep(
        JpegHuffmanTable acTable,
        ref ulong pairs,
        ref int slots,
        ref int coefficients,
        ref ulong bits,
        ref int count,
        ref int k
    )
    {
        ulong pair = Unsafe.Add(ref pairs, (int)(bits >> (64 - JpegHuffmanTable.PairBits)));
        int first = k + ((int)(pair >> 8) & 63);
        // Not for a block's last position either: what follows a coefficient there is the next block's DC code.
        if (first < 63)
        {
            int consumed = (int)pair & 31;
            bits <<= consumed;
            count -= consumed;
            int second = k + ((int)(pair >> 16) & 63);
            Unsafe.Add(ref coefficients, Unsafe.Add(ref slots, first)) = (short)(pair >> 32);
            Unsafe.Add(ref coefficients, Unsafe.Add(ref slots, second)) = (short)(pair >> 48);
            k += (int)(pair >> 24) & 63;
            if (k >= 64 || (pair & 64) != 0)
                return k > 64 ? -1 : 1;
            return 0;
        }
        int entry = acTable.Decode((int)(bits >> 48));
        if (entry < 0)
            return -1;
        int length = entry & 0xFF;
        bits <<= length;
        count -= length;
        int run = (entry >> 12) & 15,
            size = (entry >> 8) & 15;
        if (size == 0)
        {
            if (run != 15)
                return 1; // end of block
            k += 16; // sixteen zeros
            return k >= 64 ? (k > 64 ? -1 : 1) : 0;
        }
        k += run;
        if (k > 63)
            return -1;
        Unsafe.Add(ref coefficients, Unsafe.Add(ref slots, k)) = JpegHuffmanTable.Extend((int)(bits >> (64 - size)), size);
        bits <<= size;
        count -= size;
        k++;
        return k == 64 ? 1 : 0;
    }
}
