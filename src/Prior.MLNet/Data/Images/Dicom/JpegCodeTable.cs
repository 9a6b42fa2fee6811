namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// A JPEG Huffman table as T.81 annex C builds it from its 16 code-length counts and its symbols, decoded code length
/// by code length (F.2.2.3): the plain form the lossless and 12-bit decoders share (the 8-bit radiograph decoder has its
/// own table-driven one, <see cref="Jpeg.JpegHuffmanTable"/>).
/// </summary>
internal sealed class JpegCodeTable
{
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valuePointer = new int[17];
    private readonly int[] _minCode = new int[17];
    private readonly byte[] _values;

    private JpegCodeTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values, string source)
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
            if (code > 1 << length)
                throw new InvalidDataException($"{source}: a JPEG Huffman table holds more codes of {length} bits than there are.");
            code <<= 1;
        }
    }

    /// <summary>
    /// Reads the tables of a DHT segment into <paramref name="dc"/> (class 0) and <paramref name="ac"/> (class 1; the
    /// same array for lossless JPEG, which has one class).
    /// </summary>
    public static void ReadSegment(ReadOnlySpan<byte> segment, JpegCodeTable?[] dc, JpegCodeTable?[] ac, string source)
    {
        int at = 0;
        while (at + 17 <= segment.Length)
        {
            int kind = segment[at] >> 4,
                id = segment[at] & 0x0F;
            var counts = segment.Slice(at + 1, 16);
            int total = 0;
            foreach (var c in counts)
                total += c;
            if (at + 17 + total > segment.Length || id > 3 || kind > 1 || total > 256)
                throw new InvalidDataException($"{source}: a JPEG Huffman table is cut short or misnumbered.");
            (kind == 0 ? dc : ac)[id] = new JpegCodeTable(counts, segment.Slice(at + 17, total), source);
            at += 17 + total;
        }
    }

    /// <summary>The symbol the next code stands for, or -1 for a code no entry has (corrupt data).</summary>
    public int Decode(ref EntropyBits bits)
    {
        int code = bits.Read(1);
        int length = 1;
        while (length <= 16 && code > _maxCode[length])
        {
            code = (code << 1) | bits.Read(1);
            length++;
        }
        return length > 16 ? -1 : _values[_valuePointer[length] + code - _minCode[length]];
    }
}
