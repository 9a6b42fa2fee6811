namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Decodes lossless JPEG (ITU-T T.81 annex H, process 14: Huffman-coded differences from one of seven predictors, with
/// an optional point transform), the form lossless chest X-ray DICOMs take, for one component of 2 to 16 bits. Written
/// for clarity: a radiograph of 2,500 × 3,000 samples decodes in a fraction of a second, beside the network's work.
/// </summary>
internal static class JpegLosslessDecoder
{
    /// <summary>A decoded image: row-major samples, already shifted back by the point transform.</summary>
    internal sealed record Image(ushort[] Samples, int Width, int Height, int Precision);

    /// <summary>Decodes <paramref name="data"/> (SOI to EOI); <paramref name="source"/> names it in errors.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            throw new InvalidDataException($"{source}: the JPEG lossless data does not start with a JPEG start-of-image marker.");
        var tables = new HuffmanTable?[4];
        int position = 2,
            restartInterval = 0,
            precision = 0,
            width = 0,
            height = 0;
        while (true)
        {
            if (position + 4 > data.Length)
                throw new InvalidDataException($"{source}: the JPEG lossless data ends before its scan.");
            if (data[position] != 0xFF)
                throw new InvalidDataException($"{source}: JPEG marker expected at byte {position}.");
            byte marker = data[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte
                continue;
            }
            int length = (data[position + 2] << 8) | data[position + 3];
            var segment = data.Slice(position + 4, Math.Max(0, Math.Min(length - 2, data.Length - position - 4)));
            switch (marker)
            {
                case 0xC3:
                    precision = segment[0];
                    height = (segment[1] << 8) | segment[2];
                    width = (segment[3] << 8) | segment[4];
                    if (segment[5] != 1)
                        throw new InvalidDataException($"{source}: lossless JPEG with {segment[5]} components; only one (gray) is read.");
                    if (precision is < 2 or > 16 || width < 1 || height < 1)
                        throw new InvalidDataException($"{source}: lossless JPEG of {width} × {height} at {precision} bits is not valid.");
                    if ((long)width * height > GrayscaleImage.MaxPixels)
                        throw new InvalidDataException($"{source}: {width} × {height} pixels is more than is accepted.");
                    break;
                case 0xC4:
                    ReadHuffmanTables(segment, tables, source);
                    break;
                case 0xDD:
                    restartInterval = (segment[0] << 8) | segment[1];
                    break;
                case 0xDA:
                    if (width == 0)
                        throw new InvalidDataException($"{source}: the scan comes before a lossless frame header (SOF3).");
                    int selector = segment[2] >> 4;
                    var table = tables[selector & 3]
                        ?? throw new InvalidDataException($"{source}: the scan uses Huffman table {selector}, never defined.");
                    int predictor = segment[3];
                    int pointTransform = segment[5] & 0x0F;
                    if (predictor is < 1 or > 7)
                        throw new InvalidDataException($"{source}: lossless predictor {predictor} is not one of 1 to 7.");
                    var samples = DecodeScan(
                        data[(position + 2 + length)..],
                        table,
                        width,
                        height,
                        precision,
                        predictor,
                        pointTransform,
                        restartInterval,
                        source
                    );
                    return new Image(samples, width, height, precision);
                case 0xC0 or 0xC1 or 0xC2 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF or 0xF7:
                    throw new InvalidDataException($"{source}: the JPEG frame (marker FF{marker:X2}) is not lossless process 14.");
            }
            position += 2 + length;
        }
    }

    private static void ReadHuffmanTables(ReadOnlySpan<byte> segment, HuffmanTable?[] tables, string source)
    {
        int at = 0;
        while (at + 17 <= segment.Length)
        {
            int id = segment[at] & 0x0F;
            var counts = segment.Slice(at + 1, 16);
            int total = 0;
            foreach (var c in counts)
                total += c;
            if (at + 17 + total > segment.Length || id > 3)
                throw new InvalidDataException($"{source}: a JPEG Huffman table is cut short or misnumbered.");
            tables[id] = new HuffmanTable(counts, segment.Slice(at + 17, total));
            at += 17 + total;
        }
    }

    private static ushort[] DecodeScan(
        ReadOnlySpan<byte> scan,
        HuffmanTable table,
        int width,
        int height,
        int precision,
        int predictor,
        int pointTransform,
        int restartInterval,
        string source
    )
    {
        var values = new int[(long)width * height];
        var bits = new BitReader(scan);
        int mask = (1 << 16) - 1;
        int initial = 1 << (precision - pointTransform - 1);
        long total = values.LongLength;
        // The sample where the current restart interval began: its row is predicted as a first line (from the left).
        long intervalStart = 0;
        for (long i = 0; i < total; i++)
        {
            if (restartInterval > 0 && i > 0 && i % restartInterval == 0)
            {
                bits.Restart(source);
                intervalStart = i;
            }
            int row = (int)(i / width),
                column = (int)(i % width);
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
                    c = values[i - width - 1];
                prediction = predictor switch
                {
                    1 => a,
                    2 => b,
                    3 => c,
                    4 => a + b - c,
                    5 => a + ((b - c) >> 1),
                    6 => b + ((a - c) >> 1),
                    _ => (a + b) >> 1,
                };
            }
            int category = table.Decode(ref bits, source);
            int difference = category switch
            {
                0 => 0,
                16 => 32768,
                _ => Extend(bits.Read(category, source), category),
            };
            values[i] = (prediction + difference) & mask;
        }
        var samples = new ushort[total];
        for (long i = 0; i < total; i++)
            samples[i] = (ushort)(values[i] << pointTransform);
        return samples;
    }

    private static int Extend(int value, int size) => value < 1 << (size - 1) ? value - (1 << size) + 1 : value;

    /// <summary>A Huffman table as T.81 annex C builds it, decoded code length by code length (F.2.2.3).</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valuePointer = new int[17];
        private readonly int[] _minCode = new int[17];
        private readonly byte[] _values;

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            int code = 0,
                k = 0;
            for (int length = 1; length <= 16; length++)
            {
                _valuePointer[length] = k;
                _minCode[length] = code;
                code += counts[length - 1];
                k += counts[length - 1];
                _maxCode[length] = counts[length - 1] == 0 ? -1 : code - 1;
                code <<= 1;
            }
            _maxCode[17] = int.MaxValue;
        }

        public int Decode(ref BitReader bits, string source)
        {
            int code = bits.Read(1, source);
            int length = 1;
            while (length <= 16 && code > _maxCode[length])
            {
                code = (code << 1) | bits.Read(1, source);
                length++;
            }
            if (length > 16)
                throw new InvalidDataException($"{source}: a Huffman code of the lossless JPEG matches no table entry (corrupt data).");
            return _values[_valuePointer[length] + code - _minCode[length]];
        }
    }

    /// <summary>Entropy-coded bits, with 0xFF00 unstuffed; a marker ends the data (read as zeros) until a restart.</summary>
    private ref struct BitReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;
        private uint _buffer;
        private int _count;
        private bool _atMarker;

        public BitReader(ReadOnlySpan<byte> data) => _data = data;

        public int Read(int count, string source)
        {
            while (_count < count)
            {
                uint next = 0;
                if (!_atMarker)
                {
                    if (_position >= _data.Length)
                        throw new InvalidDataException($"{source}: truncated: the lossless JPEG data ends inside its scan.");
                    next = _data[_position++];
                    if (next == 0xFF)
                    {
                        byte after = _position < _data.Length ? _data[_position] : (byte)0xD9;
                        if (after == 0x00)
                            _position++;
                        else
                        {
                            _atMarker = true;
                            _position--;
                            next = 0;
                        }
                    }
                }
                _buffer = (_buffer << 8) | next;
                _count += 8;
            }
            _count -= count;
            return (int)((_buffer >> _count) & ((1u << count) - 1));
        }

        // At a restart interval's end: drop the partial byte, expect RSTn, start afresh.
        public void Restart(string source)
        {
            _count = 0;
            _buffer = 0;
            while (_position + 1 < _data.Length && !(_data[_position] == 0xFF && _data[_position + 1] is >= 0xD0 and <= 0xD7))
                _position++;
            if (_position + 1 >= _data.Length)
                throw new InvalidDataException($"{source}: truncated: a restart marker of the lossless JPEG is missing.");
            _position += 2;
            _atMarker = false;
        }
    }
}
