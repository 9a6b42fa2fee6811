namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Decodes lossless JPEG (ITU-T T.81 annex H, process 14: Huffman-coded differences from one of seven predictors, with
/// an optional point transform), the form lossless chest X-ray DICOMs take: one component (gray) or several interleaved
/// in one scan (colour), 2 to 16 bits. Before allocating, the declared size is checked against the pixel budget and
/// against the data: every sample costs at least one bit of Huffman code, so a scan of n bytes holds at most 8n samples,
/// and a small file claiming millions of pixels is refused at once. Data that ends before the last sample is refused
/// naming how far it got, never filled. Written for clarity: a radiograph of 2,500 × 3,000 samples decodes in a fraction
/// of a second, beside the network's work.
/// </summary>
internal static class JpegLosslessDecoder
{
    /// <summary>Decodes <paramref name="data"/> (SOI to EOI); <paramref name="source"/> names it in errors.</summary>
    public static DecodedSamples Decode(ReadOnlySpan<byte> data, string source, long maxPixels)
    {
        var segments = new JpegSegments(data, source, "JPEG lossless");
        var tables = new JpegCodeTable?[4];
        int restartInterval = 0,
            precision = 0,
            width = 0,
            height = 0,
            components = 0;
        while (segments.Next(out byte marker, out var segment))
        {
            switch (marker)
            {
                case 0xC3:
                    if (segment.Length < 6)
                        throw new InvalidDataException($"{source}: the lossless frame header is cut short.");
                    precision = segment[0];
                    height = (segment[1] << 8) | segment[2];
                    width = (segment[3] << 8) | segment[4];
                    components = segment[5];
                    if (components is < 1 or > 4 || segment.Length < 6 + 3 * components)
                        throw new InvalidDataException($"{source}: lossless JPEG with {components} components; 1 to 4 are read.");
                    for (int c = 0; c < components; c++)
                        if (segment[7 + 3 * c] != 0x11)
                            throw new InvalidDataException($"{source}: lossless JPEG with subsampled components is not read.");
                    if (precision is < 2 or > 16 || width < 1 || height < 1)
                        throw new InvalidDataException($"{source}: lossless JPEG of {width} × {height} at {precision} bits is not valid.");
                    ImageBudget.ThrowIfOver(source, width, height, maxPixels);
                    break;
                case 0xC4:
                    JpegCodeTable.ReadSegment(segment, tables, tables, source);
                    break;
                case 0xDD:
                    if (segment.Length >= 2)
                        restartInterval = (segment[0] << 8) | segment[1];
                    break;
                case 0xDA:
                    if (width == 0)
                        throw new InvalidDataException($"{source}: the scan comes before a lossless frame header (SOF3).");
                    if (segment.Length < 1 + 2 * segment[0] + 3 || segment[0] != components)
                        throw new InvalidDataException(
                            $"{source}: the lossless scan codes {segment[0]} of the frame's {components} components; only one scan "
                                + "holding them all is read."
                        );
                    var scanTables = new JpegCodeTable[components];
                    for (int c = 0; c < components; c++)
                    {
                        int selector = segment[2 + 2 * c] >> 4;
                        scanTables[c] = tables[selector & 3]
                            ?? throw new InvalidDataException($"{source}: the scan uses Huffman table {selector}, never defined.");
                    }
                    int predictor = segment[1 + 2 * components];
                    int pointTransform = segment[3 + 2 * components] & 0x0F;
                    if (predictor is < 1 or > 7)
                        throw new InvalidDataException($"{source}: lossless predictor {predictor} is not one of 1 to 7.");
                    var scan = data[segments.End..];
                    // Each sample's code is at least one bit: a scan this short cannot hold the samples its header declares.
                    long samples = (long)width * height * components;
                    if (8L * scan.Length < samples)
                        throw new InvalidDataException(
                            $"{source}: corrupt: the lossless JPEG declares {width:N0} × {height:N0} × {components} samples, which need "
                                + "at least "
                                + $"{(samples + 7) / 8:N0} bytes of coded data; it holds {scan.Length:N0}."
                        );
                    var planes = DecodeScan(scan, scanTables, width, height, precision, predictor, pointTransform, restartInterval, source);
                    return new DecodedSamples(planes, width, height, precision);
                case 0xC0 or 0xC1 or 0xC2 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF or 0xF7:
                    throw new InvalidDataException($"{source}: the JPEG frame (marker FF{marker:X2}) is not lossless process 14.");
            }
        }
        throw new InvalidDataException($"{source}: truncated: the JPEG lossless data ends before its scan.");
    }

    private static int[][] DecodeScan(
        ReadOnlySpan<byte> scan,
        JpegCodeTable[] tables,
        int width,
        int height,
        int precision,
        int predictor,
        int pointTransform,
        int restartInterval,
        string source
    )
    {
        int components = tables.Length;
        var planes = new int[components][];
        for (int c = 0; c < components; c++)
            planes[c] = new int[(long)width * height];
        var bits = new EntropyBits(scan);
        int mask = (1 << 16) - 1;
        int initial = 1 << Math.Max(0, precision - pointTransform - 1);
        long total = (long)width * height;
        // The sample where the current restart interval began: its row is predicted as a first line (from the left).
        long intervalStart = 0;
        for (long i = 0; i < total; i++)
        {
            if (restartInterval > 0 && i > 0 && i % restartInterval == 0)
            {
                if (!bits.Restart())
                    throw new InvalidDataException(
                        $"{source}: corrupt: the lossless JPEG data ends after {i:N0} of {total:N0} pixels (a restart marker is missing)."
                    );
                intervalStart = i;
            }
            int row = (int)(i / width),
                column = (int)(i % width);
            for (int c = 0; c < components; c++)
            {
                var values = planes[c];
                int prediction;
                if (i == intervalStart)
                    prediction = initial;
                else if (row == intervalStart / width)
                    prediction = values[i - 1]; // the first line of the image or of a restart interval: from the left
                else if (column == 0)
                    prediction = values[i - width]; // the first column: from above
                else
                {
                    int a = values[i - 1],
                        b = values[i - width],
                        d = values[i - width - 1];
                    prediction = predictor switch
                    {
                        1 => a,
                        2 => b,
                        3 => d,
                        4 => a + b - d,
                        5 => a + ((b - d) >> 1),
                        6 => b + ((a - d) >> 1),
                        _ => (a + b) >> 1,
                    };
                }
                int category = tables[c].Decode(ref bits);
                if (category > 16)
                    category = -1; // no difference category beyond 16 bits
                int difference = category switch
                {
                    0 => 0,
                    16 => 32768,
                    < 0 => 0,
                    _ => Extend(bits.Read(category), category),
                };
                if (bits.Exhausted || category < 0)
                    throw new InvalidDataException(
                        category < 0
                            ? $"{source}: corrupt: a Huffman code of the lossless JPEG at pixel {i:N0} of {total:N0} matches no "
                                + "table entry."
                            : $"{source}: corrupt: the lossless JPEG data ends after {i:N0} of {total:N0} pixels."
                    );
                values[i] = (prediction + difference) & mask;
            }
        }
        if (pointTransform > 0)
            foreach (var values in planes)
                for (long i = 0; i < total; i++)
                    values[i] = (values[i] << pointTransform) & mask;
        return planes;
    }

    private static int Extend(int value, int size) => value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
}
