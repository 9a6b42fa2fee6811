namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Decodes 12-bit sequential DCT JPEG with Huffman coding (ITU-T T.81 process 4, DICOM's JPEG Extended transfer syntax,
/// common for older CR and DX) for one component: Huffman-decoded, dequantised coefficients through libjpeg's accurate
/// integer inverse DCT as its 12-bit build computes it (jidctint with one bit of first-pass precision; the transform is
/// <see cref="Jpeg.FullInverseDct"/>'s), level-shifted by 2048 and clamped to 12 bits: the values dcmtk's decoder gives,
/// so that a narrow window magnifies no rounding difference. Before
/// allocating, the declared size is checked against the pixel budget and against the data (a block costs at least two
/// bits, its DC code and end-of-block), and a scan that ends before its last block is refused, never filled. Eight-bit
/// frames are not for this decoder: they go through the library's JPEG path.
/// </summary>
internal static class Jpeg12Decoder
{
    /// <summary>Decodes <paramref name="data"/> (SOI to EOI); <paramref name="source"/> names it in errors.</summary>
    public static DecodedSamples Decode(ReadOnlySpan<byte> data, string source, long maxPixels)
    {
        var segments = new JpegSegments(data, source, "JPEG");
        var dcTables = new JpegCodeTable?[4];
        var acTables = new JpegCodeTable?[4];
        var quantTables = new int[4][];
        int restartInterval = 0,
            width = 0,
            height = 0,
            quantSelector = 0,
            componentId = -1;
        while (segments.Next(out byte marker, out var segment))
        {
            switch (marker)
            {
                case 0xC0 or 0xC1:
                    if (segment.Length < 9)
                        throw new InvalidDataException($"{source}: the JPEG frame header is cut short.");
                    int precision = segment[0];
                    height = (segment[1] << 8) | segment[2];
                    width = (segment[3] << 8) | segment[4];
                    if (segment[5] != 1)
                        throw new InvalidDataException(
                            $"{source}: a {precision}-bit JPEG with {segment[5]} components; 12-bit JPEG is read for one (gray) component."
                        );
                    if (precision != 12)
                        throw new InvalidDataException($"{source}: a {precision}-bit sequential JPEG; this decoder reads 12-bit frames.");
                    if (width < 1 || height < 1)
                        throw new InvalidDataException(
                            $"{source}: a JPEG of {width} × {height} pixels (a DNL-defined height is not read)."
                        );
                    ImageBudget.ThrowIfOver(source, width, height, maxPixels);
                    componentId = segment[6];
                    quantSelector = segment[8] & 3;
                    break;
                case >= 0xC2 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    throw new InvalidDataException(
                        $"{source}: the JPEG frame (marker FF{marker:X2}) is progressive, lossless, hierarchical or arithmetic-coded; "
                            + "a 12-bit frame is read when sequential with Huffman coding."
                    );
                case 0xC4:
                    JpegCodeTable.ReadSegment(segment, dcTables, acTables, source);
                    break;
                case 0xDB:
                    ReadQuantTables(segment, quantTables, source);
                    break;
                case 0xDD:
                    if (segment.Length >= 2)
                        restartInterval = (segment[0] << 8) | segment[1];
                    break;
                case 0xDA:
                    if (width == 0)
                        throw new InvalidDataException($"{source}: the scan comes before the JPEG frame header.");
                    if (segment.Length < 6 || segment[0] != 1 || segment[1] != componentId)
                        throw new InvalidDataException($"{source}: the JPEG scan does not code the frame's one component.");
                    var dc = dcTables[segment[2] >> 4 & 3]
                        ?? throw new InvalidDataException($"{source}: the scan's DC table is never defined.");
                    var ac = acTables[segment[2] & 3] ?? throw new InvalidDataException($"{source}: the scan's AC table is never defined.");
                    var quant = quantTables[quantSelector]
                        ?? throw new InvalidDataException($"{source}: the frame's quantisation table is never defined.");
                    var scan = data[segments.End..];
                    long blocks = (long)((width + 7) / 8) * ((height + 7) / 8);
                    if (8L * scan.Length < 2 * blocks)
                        throw new InvalidDataException(
                            $"{source}: corrupt: the JPEG declares {width:N0} × {height:N0} pixels, {blocks:N0} blocks that need at least "
                                + $"{(2 * blocks + 7) / 8:N0} bytes of coded data; it holds {scan.Length:N0}."
                        );
                    var plane = DecodeScan(scan, dc, ac, quant, width, height, restartInterval, source);
                    return new DecodedSamples([plane], width, height, 12);
            }
        }
        throw new InvalidDataException($"{source}: truncated: the JPEG data ends before its scan.");
    }

    private static void ReadQuantTables(ReadOnlySpan<byte> segment, int[][] tables, string source)
    {
        while (segment.Length > 0)
        {
            int precision = segment[0] >> 4,
                index = segment[0] & 15;
            int size = precision == 0 ? 64 : 128;
            if (precision > 1 || index > 3 || segment.Length < 1 + size)
                throw new InvalidDataException($"{source}: a JPEG quantisation table is cut short or misnumbered.");
            var table = new int[64];
            for (int k = 0; k < 64; k++)
                table[k] = precision == 0 ? segment[1 + k] : (segment[1 + 2 * k] << 8) | segment[2 + 2 * k];
            tables[index] = table; // in zig-zag order, as the coefficients arrive
            segment = segment.Slice(1 + size);
        }
    }

    private static int[] DecodeScan(
        ReadOnlySpan<byte> scan,
        JpegCodeTable dc,
        JpegCodeTable ac,
        int[] quant,
        int width,
        int height,
        int restartInterval,
        string source
    )
    {
        int blocksWide = (width + 7) / 8,
            blocksHigh = (height + 7) / 8;
        long total = (long)blocksWide * blocksHigh;
        var plane = new int[(long)width * height];
        var bits = new EntropyBits(scan);
        var coefficients = new long[64];
        var pixels = new int[64];
        int predictor = 0;
        for (long block = 0; block < total; block++)
        {
            if (restartInterval > 0 && block > 0 && block % restartInterval == 0)
            {
                if (!bits.Restart())
                    throw new InvalidDataException(
                        $"{source}: corrupt: the JPEG data ends after {block:N0} of {total:N0} blocks (a restart marker is missing)."
                    );
                predictor = 0;
            }
            Array.Clear(coefficients);
            int size = dc.Decode(ref bits);
            if (size is < 0 or > 15)
                throw Corrupt(source, block, total, bits.Exhausted);
            predictor += size == 0 ? 0 : Extend(bits.Read(size), size);
            coefficients[0] = predictor * quant[0];
            for (int k = 1; k < 64; )
            {
                int symbol = ac.Decode(ref bits);
                if (symbol < 0)
                    throw Corrupt(source, block, total, bits.Exhausted);
                int run = symbol >> 4,
                    bitsOfValue = symbol & 15;
                if (bitsOfValue == 0)
                {
                    if (run != 15)
                        break; // end of block
                    k += 16;
                    continue;
                }
                k += run;
                if (k > 63)
                    throw Corrupt(source, block, total, exhausted: false);
                coefficients[Jpeg.JpegZigZag.Natural[k]] = Extend(bits.Read(bitsOfValue), bitsOfValue) * quant[k];
                k++;
            }
            if (bits.Exhausted)
                throw Corrupt(source, block, total, exhausted: true);
            InverseDct(coefficients, pixels);
            int bx = (int)(block % blocksWide) * 8,
                by = (int)(block / blocksWide) * 8;
            for (int y = 0; y < 8 && by + y < height; y++)
            for (int x = 0; x < 8 && bx + x < width; x++)
                plane[(long)(by + y) * width + bx + x] = pixels[8 * y + x];
        }
        return plane;
    }

    private static InvalidDataException Corrupt(string source, long block, long total, bool exhausted) =>
        new(
            exhausted
                ? $"{source}: corrupt: the JPEG data ends after {block:N0} of {total:N0} blocks."
                : $"{source}: corrupt: the JPEG data holds a code no Huffman table has, or a coefficient past its block, at block "
                    + $"{block + 1:N0} of {total:N0}."
        );

    private static int Extend(int value, int size) => value < 1 << (size - 1) ? value - (1 << size) + 1 : value;

    // jidctint at 12 bits (BITS_IN_JSAMPLE 12: CONST_BITS 13, PASS1_BITS 1): columns, descaled to ints, then rows.
    private static void InverseDct(long[] coefficients, int[] pixels)
    {
        Span<long> input = stackalloc long[8];
        Span<long> output = stackalloc long[8];
        Span<long> workspace = stackalloc long[64];
        for (int column = 0; column < 8; column++)
        {
            for (int row = 0; row < 8; row++)
                input[row] = coefficients[row * 8 + column];
            Jpeg.FullInverseDct.Pass(input, output);
            for (int row = 0; row < 8; row++)
                workspace[row * 8 + column] = (int)Jpeg.FullInverseDct.Descale(output[row], 13 - 1);
        }
        for (int row = 0; row < 8; row++)
        {
            workspace.Slice(row * 8, 8).CopyTo(input);
            Jpeg.FullInverseDct.Pass(input, output);
            for (int column = 0; column < 8; column++)
                pixels[row * 8 + column] = Math.Clamp((int)Jpeg.FullInverseDct.Descale(output[column], 13 + 1 + 3) + 2048, 0, 4095);
        }
    }
}
