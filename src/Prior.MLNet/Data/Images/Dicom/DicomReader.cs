using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Reads the parts of a DICOM Part 10 file (PS3.10) an image needs: with or without the 128-byte preamble and "DICM",
/// the file meta group (explicit VR little endian), then the data set in implicit or explicit VR, little or big endian,
/// or deflated (PS3.5 A.5, inflated within a bound set by the image it declares); sequences of defined and undefined
/// length stepped over (an undefined-length UN element as implicit VR, CP-246), the VOI LUT Sequence's first LUT and the
/// palette colour tables kept, and the pixel data: native (its words put in little-endian order), or the encapsulated
/// fragments with their offset table. Reading stops at the pixel data. Every failure names the file and what is wrong;
/// a transfer syntax that is not read is named with its UID.
/// </summary>
internal static class DicomReader
{
    private const uint PixelDataTag = 0x7FE00010;
    private const uint ItemTag = 0xFFFEE000;
    private const uint ItemDelimitationTag = 0xFFFEE00D;
    private const uint SequenceDelimitationTag = 0xFFFEE0DD;
    private const uint VoiLutSequenceTag = 0x00283010;
    private const uint UndefinedLength = 0xFFFFFFFF;

    /// <summary>Most bytes a deflated data set's header (everything before the pixels) may inflate to.</summary>
    private const int MaxInflatedHeader = 16 << 20;

    /// <summary>Whether <paramref name="bytes"/> hold a DICOM file: "DICM" after the preamble, or a data set that starts at byte
    /// 0.</summary>
    public static bool IsDicom(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 132 && bytes.Slice(128, 4).SequenceEqual("DICM"u8))
            return true;
        if (bytes.Length < 8)
            return false;
        ushort group = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        // No preamble: the file meta group (explicit VR) or, in files written without one, the identifying group 0008.
        return (group == 0x0002 && bytes[4] is (byte)'U' or (byte)'O' && bytes[5] is (byte)'L' or (byte)'B')
            || (group == 0x0008 && BinaryPrimitives.ReadUInt16LittleEndian(bytes[2..]) < 0x0100);
    }

    /// <summary>
    /// Reads the header of the DICOM file <paramref name="path"/>, everything before the pixel data (rows, columns, the
    /// pixel module), from the file's first bytes, without reading the pixels: what a loader needs to know an image's
    /// geometry. Throws as <see cref="Read(string, ReadOnlySpan{byte}, long)"/> does, naming the file.
    /// </summary>
    public static DicomDataset ReadHeader(string path)
    {
        const int Prefix = 64 * 1024;
        using var stream = File.OpenRead(path);
        var head = new byte[(int)Math.Min(stream.Length, Prefix)];
        stream.ReadExactly(head);
        if (!IsDicom(head))
            throw new InvalidDataException($"{path}: not a DICOM file (no \"DICM\" after the preamble, no DICOM data set at byte 0).");
        try
        {
            return Read(path, head, headerOnly: true, maxPixelBytes: 0);
        }
        catch (InvalidDataException) when (stream.Length > Prefix)
        {
            // A header longer than the prefix (large private elements before the pixels): read the whole file.
            return Read(path, File.ReadAllBytes(path), headerOnly: true, maxPixelBytes: 0);
        }
    }

    /// <summary>
    /// Reads <paramref name="bytes"/>; <paramref name="path"/> names the file in errors. A deflated data set is inflated
    /// only as far as its header and then its declared pixel data, never past <see cref="MaxBytesPerPixel"/> bytes for each
    /// pixel of <paramref name="maxPixels"/> (so a small file cannot inflate to gigabytes).
    /// </summary>
    public static DicomDataset Read(string path, ReadOnlySpan<byte> bytes, long maxPixels) =>
        Read(path, bytes, headerOnly: false, maxPixels * MaxBytesPerPixel);

    /// <summary>The most pixel-data bytes a pixel of the budget may take: three samples of 32 bits.</summary>
    private const int MaxBytesPerPixel = 12;

    private static DicomDataset Read(string path, ReadOnlySpan<byte> bytes, bool headerOnly, long maxPixelBytes)
    {
        var dataset = new DicomDataset();
        int position = bytes.Length >= 132 && bytes.Slice(128, 4).SequenceEqual("DICM"u8) ? 132 : 0;
        var reader = new Cursor(path, bytes, position, explicitVR: true, bigEndian: false);
        // The file meta group: always explicit VR little endian.
        bool sawMeta = false;
        while (reader.Remaining >= 8 && reader.PeekGroup() == 0x0002)
        {
            var element = reader.Next();
            sawMeta = true;
            if (element.Tag == 0x00020010)
                dataset.TransferSyntax = Text(element.Value);
        }
        if (!sawMeta)
            dataset.TransferSyntax = DicomTransferSyntax.ImplicitVRLittleEndian; // PS3.5 A.1: the default without a meta group
        var syntax = dataset.TransferSyntax;
        if (!DicomTransferSyntax.IsSupported(syntax))
            throw new InvalidDataException(
                $"{path}: DICOM transfer syntax {syntax} ({DicomTransferSyntax.Name(syntax)}) is not read; this library reads "
                    + DicomTransferSyntax.SupportedList
                    + "."
            );
        if (syntax == DicomTransferSyntax.DeflatedExplicitVRLittleEndian)
            return ReadDeflated(path, dataset, bytes[reader.Position..], headerOnly, maxPixelBytes);
        ReadDataSet(path, dataset, bytes, reader.Position, headerOnly);
        return dataset;
    }

    // Fills the data set; with headerOnly, stops at the pixel data's tag, and throws "truncated" when the data ends first.
    private static void ReadDataSet(string path, DicomDataset dataset, ReadOnlySpan<byte> bytes, int start, bool headerOnly)
    {
        var syntax = dataset.TransferSyntax;
        var reader = new Cursor(path, bytes, start, DicomTransferSyntax.IsExplicit(syntax), DicomTransferSyntax.IsBigEndian(syntax));
        while (reader.Remaining > 0)
        {
            if (reader.Remaining < 8)
                break; // trailing padding
            if (headerOnly && reader.PeekTag() == PixelDataTag)
                return;
            var element = reader.Next();
            if (element.Tag == PixelDataTag)
            {
                if (element.Length == UndefinedLength)
                    reader.ReadFragments(dataset);
                else if (DicomTransferSyntax.IsEncapsulated(syntax))
                    throw new InvalidDataException(
                        $"{path}: the transfer syntax {syntax} ({DicomTransferSyntax.Name(syntax)}) needs encapsulated pixel data, but "
                            + $"the pixel data is a plain value of {element.Length:N0} bytes; the file is malformed."
                    );
                else
                    dataset.NativePixels = Native(element.Value, element.VR, reader.BigEndian);
                break;
            }
            Apply(dataset, element, path, reader, bytes);
            if (element.Length == UndefinedLength)
            {
                if (element.VR == "UN")
                    reader.SkipUndefinedAsImplicit();
                else
                    reader.SkipUndefined(element.Tag == VoiLutSequenceTag ? dataset : null);
            }
        }
        if (headerOnly)
            throw new InvalidDataException(
                $"{path}: truncated: the DICOM data ends at byte {bytes.Length} before its pixel data (an interrupted copy or download?)."
            );
        if (!dataset.HasPixelData)
            throw new InvalidDataException($"{path}: a DICOM file without pixel data (no (7FE0,0010) element); not an image.");
    }

    // Deflated Explicit VR Little Endian: the data set after the meta group is one raw deflate stream (RFC 1951). Inflated
    // in steps: first as far as the pixel data's tag (at most 16 MiB of header), then the pixel data the header declares
    // and no more than maxPixelBytes of it.
    private static DicomDataset ReadDeflated(
        string path,
        DicomDataset dataset,
        ReadOnlySpan<byte> compressed,
        bool headerOnly,
        long maxPixelBytes
    )
    {
        using var inflater = new DeflateStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
        var inflated = new MemoryStream();
        var chunk = new byte[64 * 1024];
        bool ended = false;
        void InflateTo(long size)
        {
            while (!ended && inflated.Length < size)
            {
                int n;
                try
                {
                    n = inflater.Read(chunk, 0, (int)Math.Min(chunk.Length, size - inflated.Length));
                }
                catch (InvalidDataException ex)
                {
                    throw new InvalidDataException($"{path}: the deflated DICOM data set is corrupt ({ex.Message}).", ex);
                }
                if (n == 0)
                    ended = true;
                inflated.Write(chunk, 0, n);
            }
        }
        // The header: inflate more until the pixel data's tag is in view.
        DicomDataset? header = null;
        for (long size = 64 * 1024; header is null; size *= 4)
        {
            InflateTo(size);
            var probe = new DicomDataset { TransferSyntax = dataset.TransferSyntax };
            try
            {
                ReadDataSet(path, probe, inflated.GetBuffer().AsSpan(0, (int)inflated.Length), 0, headerOnly: true);
                header = probe;
            }
            catch (InvalidDataException) when (!ended && size < MaxInflatedHeader)
            {
                // the header goes on past what is inflated yet
            }
            catch (InvalidDataException) when (!ended)
            {
                throw new InvalidDataException(
                    $"{path}: the deflated DICOM data set holds more than {MaxInflatedHeader:N0} bytes before its pixel data; refused."
                );
            }
        }
        if (headerOnly)
            return header;
        long declared = DeclaredPixelBytes(header);
        if (declared > maxPixelBytes)
            throw ImageBudget.Exceeded(
                path,
                $"its deflated pixel data declares {declared:N0} bytes, more than the {maxPixelBytes:N0} this decode allows",
                maxPixelBytes / MaxBytesPerPixel
            );
        // The pixel data's tag, VR and length, then the value itself, plus some slack for a trailing element.
        InflateTo(inflated.Length + declared + 64 * 1024);
        ReadDataSet(path, dataset, inflated.GetBuffer().AsSpan(0, (int)inflated.Length), 0, headerOnly: false);
        return dataset;
    }

    // The native pixel data's size as the header declares it (every frame), for the inflate bound.
    private static long DeclaredPixelBytes(DicomDataset d)
    {
        long samples = (long)d.Rows * d.Columns * Math.Max(1, d.SamplesPerPixel) * Math.Max(1, d.NumberOfFrames);
        return (samples * Math.Max(1, d.BitsAllocated) + 7) / 8 + 16; // the tag, VR and length before the value
    }

    // Native pixel data in little-endian words: a big-endian file's values are swapped back by their VR's word size (OW:
    // 16-bit words, whatever Bits Allocated says - a 32-bit pixel is two OW words; OL and OF: 32 bits; OB: bytes).
    private static byte[] Native(ReadOnlySpan<byte> value, string vr, bool bigEndian)
    {
        var data = value.ToArray();
        int word = vr switch
        {
            "OW" => 2,
            "OL" or "OF" => 4,
            "OD" => 8,
            _ => 1,
        };
        if (bigEndian && word > 1)
            for (int i = 0; i + word <= data.Length; i += word)
                data.AsSpan(i, word).Reverse();
        return data;
    }

    private static void Apply(DicomDataset dataset, Element element, string path, Cursor reader, ReadOnlySpan<byte> bytes)
    {
        var v = element.Value;
        switch (element.Tag)
        {
            case 0x00280002:
                dataset.SamplesPerPixel = reader.UShort(v);
                break;
            case 0x00280004:
                dataset.PhotometricInterpretation = Text(v).ToUpperInvariant();
                break;
            case 0x00280006:
                dataset.PlanarConfiguration = reader.UShort(v);
                break;
            case 0x00280008:
                dataset.NumberOfFrames = (int)Math.Clamp(Numbers(v, path, "Number of Frames").FirstOrDefault(1), 0, int.MaxValue);
                break;
            case 0x00280010:
                dataset.Rows = reader.UShort(v);
                break;
            case 0x00280011:
                dataset.Columns = reader.UShort(v);
                break;
            case 0x00280100:
                dataset.BitsAllocated = reader.UShort(v);
                break;
            case 0x00280101:
                dataset.BitsStored = reader.UShort(v);
                break;
            case 0x00280102:
                dataset.HighBit = reader.UShort(v);
                break;
            case 0x00280103:
                dataset.PixelRepresentation = reader.UShort(v);
                break;
            case 0x00281050:
                dataset.WindowCenters = Numbers(v, path, "Window Center");
                break;
            case 0x00281051:
                dataset.WindowWidths = Numbers(v, path, "Window Width");
                break;
            case 0x00281052:
                dataset.RescaleIntercept = Numbers(v, path, "Rescale Intercept").FirstOrDefault(0);
                break;
            case 0x00281053:
                dataset.RescaleSlope = Numbers(v, path, "Rescale Slope").FirstOrDefault(1);
                break;
            case 0x00281056:
                dataset.VoiLutFunction = Text(v).ToUpperInvariant();
                break;
            case >= 0x00281101 and <= 0x00281103 when v.Length >= 6:
            {
                int channel = (int)(element.Tag - 0x00281101);
                var old = dataset.Palette[channel];
                dataset.Palette[channel] = (
                    reader.UShort(v),
                    // The first value mapped is signed when the pixels are (C.7.6.3.1.5; SS in explicit VR).
                    element.VR == "SS"
                    || (element.VR == "" && dataset.PixelRepresentation == 1)
                        ? (short)reader.UShort(v[2..])
                        : reader.UShort(v[2..]),
                    reader.UShort(v[4..]),
                    old?.Data
                );
                break;
            }
            case >= 0x00281201 and <= 0x00281203:
            {
                int channel = (int)(element.Tag - 0x00281201);
                var words = reader.Words(v);
                var old = dataset.Palette[channel];
                dataset.Palette[channel] = old is { } o ? (o.Entries, o.FirstMapped, o.Bits, words) : (0, 0, 16, words);
                break;
            }
            case >= 0x00281221 and <= 0x00281223:
                dataset.SegmentedPalette = true;
                break;
            case VoiLutSequenceTag when element.Length != UndefinedLength:
                new Cursor(
                    path,
                    bytes,
                    element.ValueOffset,
                    reader.ExplicitVR,
                    reader.BigEndian,
                    element.ValueOffset + v.Length
                ).ReadVoiLutItems(dataset);
                break;
        }
    }

    private static string Text(ReadOnlySpan<byte> value) => Encoding.ASCII.GetString(value).TrimEnd('\0', ' ').Trim();

    // DS and IS: backslash-separated decimal strings.
    private static double[] Numbers(ReadOnlySpan<byte> value, string path, string name)
    {
        var parts = Text(value).Split('\\', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var numbers = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
                throw new InvalidDataException($"{path}: DICOM {name} '{parts[i]}' is not a number.");
        return numbers;
    }

    private readonly ref struct Element(uint tag, string vr, uint length, ReadOnlySpan<byte> value, int valueOffset)
    {
        public uint Tag { get; } = tag;
        public string VR { get; } = vr;
        public uint Length { get; } = length;
        public ReadOnlySpan<byte> Value { get; } = value;
        public int ValueOffset { get; } = valueOffset;
    }

    private ref struct Cursor(string path, ReadOnlySpan<byte> bytes, int position, bool explicitVR, bool bigEndian, int end = -1)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private readonly int _end = end < 0 ? bytes.Length : end;
        public int Position { get; private set; } = position;
        public bool ExplicitVR { get; } = explicitVR;
        public bool BigEndian { get; } = bigEndian;
        public readonly int Remaining => _end - Position;

        public readonly ushort UShort(ReadOnlySpan<byte> value) =>
            value.Length < 2 ? (ushort)0
            : BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(value)
            : BinaryPrimitives.ReadUInt16LittleEndian(value);

        private readonly uint UInt(ReadOnlySpan<byte> value) =>
            BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(value) : BinaryPrimitives.ReadUInt32LittleEndian(value);

        public readonly ushort[] Words(ReadOnlySpan<byte> value)
        {
            var words = new ushort[value.Length / 2];
            for (int i = 0; i < words.Length; i++)
                words[i] = UShort(value[(2 * i)..]);
            return words;
        }

        public readonly ushort PeekGroup() => UShort(_bytes[Position..]);

        public readonly uint PeekTag() => ((uint)UShort(_bytes[Position..]) << 16) | UShort(_bytes[(Position + 2)..]);

        private uint Tag()
        {
            Need(4, "a tag");
            uint tag = PeekTag();
            Position += 4;
            return tag;
        }

        private uint UInt32()
        {
            Need(4, "a length");
            uint value = UInt(_bytes[Position..]);
            Position += 4;
            return value;
        }

        private readonly void Need(long count, string what)
        {
            if (Position + count > _end)
                throw new InvalidDataException(
                    $"{path}: truncated: {what} at byte {Position} needs {count} bytes, the DICOM data has {Math.Max(0, _end - Position)} "
                        + "left (an interrupted copy or download?)."
                );
        }

        public Element Next()
        {
            int start = Position;
            uint tag = Tag();
            string vr = "";
            uint length;
            // Items and delimiters carry no VR in any transfer syntax.
            if (ExplicitVR && tag >> 16 != 0xFFFE)
            {
                Need(2, "a value representation");
                vr = Encoding.ASCII.GetString(_bytes.Slice(Position, 2));
                Position += 2;
                if (vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "UC" or "UN" or "UR" or "UT" or "SV" or "UV")
                {
                    Position += 2; // reserved
                    length = UInt32();
                }
                else
                {
                    Need(2, "a length");
                    length = UShort(_bytes[Position..]);
                    Position += 2;
                }
            }
            else
                length = UInt32();
            if (length == UndefinedLength)
                return new Element(tag, vr, length, default, Position);
            Need(length, $"element ({tag >> 16:X4},{tag & 0xFFFF:X4}) of {length} bytes starting at byte {start}");
            var value = _bytes.Slice(Position, (int)length);
            int offset = Position;
            Position += (int)length;
            return new Element(tag, vr, length, value, offset);
        }

        // An undefined-length UN element (CP-246: a sequence whose VR the writer did not know) is encoded in implicit VR
        // little endian whatever the transfer syntax: stepped over as such.
        public void SkipUndefinedAsImplicit()
        {
            var inner = new Cursor(path, _bytes, Position, explicitVR: false, bigEndian: false, _end);
            inner.SkipUndefined(null);
            Position = inner.Position;
        }

        // An element of undefined length (a sequence): items until the sequence delimiter, each item's elements until its
        // delimiter; nested sequences likewise. With a data set, the first item's VOI LUT is kept.
        public void SkipUndefined(DicomDataset? voiLutTarget)
        {
            while (true)
            {
                uint tag = Tag();
                uint length = UInt32();
                if (tag == SequenceDelimitationTag)
                    return;
                if (tag != ItemTag)
                    throw new InvalidDataException(
                        $"{path}: a DICOM sequence holds ({tag >> 16:X4},{tag & 0xFFFF:X4}) where an item belongs."
                    );
                if (length != UndefinedLength)
                {
                    Need(length, "a sequence item");
                    if (voiLutTarget is not null && voiLutTarget.VoiLut is null)
                        new Cursor(path, _bytes, Position, ExplicitVR, BigEndian, Position + (int)length).ReadLut(voiLutTarget);
                    Position += (int)length;
                    continue;
                }
                int itemStart = Position;
                while (true)
                {
                    var element = Next();
                    if (element.Tag == ItemDelimitationTag)
                        break;
                    if (element.Length == UndefinedLength)
                    {
                        if (element.VR == "UN")
                            SkipUndefinedAsImplicit();
                        else
                            SkipUndefined(null);
                    }
                }
                if (voiLutTarget is not null && voiLutTarget.VoiLut is null)
                    new Cursor(path, _bytes, itemStart, ExplicitVR, BigEndian, Position).ReadLut(voiLutTarget);
            }
        }

        // The items of a VOI LUT Sequence of defined length.
        public void ReadVoiLutItems(DicomDataset dataset)
        {
            while (Remaining >= 8 && dataset.VoiLut is null)
            {
                uint tag = Tag();
                uint length = UInt32();
                if (tag != ItemTag || length == UndefinedLength)
                    return;
                Need(length, "a VOI LUT item");
                new Cursor(path, _bytes, Position, ExplicitVR, BigEndian, Position + (int)length).ReadLut(dataset);
                Position += (int)length;
            }
        }

        // LUT Descriptor (0028,3002) and LUT Data (0028,3006) of one item.
        private void ReadLut(DicomDataset dataset)
        {
            int[]? descriptor = null;
            ushort[]? data = null;
            while (Remaining >= 8)
            {
                var element = Next();
                if (element.Length == UndefinedLength)
                {
                    if (element.VR == "UN")
                        SkipUndefinedAsImplicit();
                    else
                        SkipUndefined(null);
                    continue;
                }
                if (element.Tag == ItemDelimitationTag)
                    break;
                if (element.Tag == 0x00283002 && element.Value.Length >= 6)
                    descriptor =
                    [
                        UShort(element.Value),
                        // The first value mapped is signed for signed pixels: SS in explicit VR, and in implicit VR (no VR
                        // to say so) whenever Pixel Representation is 1 (PS3.3 C.11.2.1.1).
                        element.VR == "SS"
                        || (element.VR == "" && dataset.PixelRepresentation == 1)
                            ? (short)UShort(element.Value[2..])
                            : UShort(element.Value[2..]),
                        UShort(element.Value[4..]),
                    ];
                else if (element.Tag == 0x00283006)
                    data = Words(element.Value);
            }
            if (descriptor is not null && data is not null)
            {
                int entries = descriptor[0] == 0 ? 65536 : descriptor[0];
                if (data.Length < entries)
                    throw new InvalidDataException($"{path}: the VOI LUT declares {entries} entries and holds {data.Length}.");
                dataset.VoiLut = (entries, descriptor[1], descriptor[2], data);
            }
        }

        // Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table item, then the fragments of every frame.
        public void ReadFragments(DicomDataset dataset)
        {
            var fragments = new List<byte[]>();
            bool first = true;
            long firstFragmentAt = -1;
            while (true)
            {
                int itemAt = Position;
                uint tag = Tag();
                uint length = UInt32();
                if (tag == SequenceDelimitationTag)
                    break;
                if (tag != ItemTag || length == UndefinedLength)
                    throw new InvalidDataException(
                        $"{path}: encapsulated pixel data holds ({tag >> 16:X4},{tag & 0xFFFF:X4}) where a fragment belongs."
                    );
                Need(length, "a pixel data fragment");
                var value = _bytes.Slice(Position, (int)length);
                if (first)
                {
                    var offsets = new uint[length / 4];
                    for (int i = 0; i < offsets.Length; i++)
                        offsets[i] = UInt(value[(4 * i)..]);
                    dataset.FrameOffsets = offsets;
                }
                else
                {
                    if (firstFragmentAt < 0)
                        firstFragmentAt = itemAt;
                    dataset.FragmentOffsets.Add(itemAt - firstFragmentAt);
                    fragments.Add(value.ToArray());
                }
                first = false;
                Position += (int)length;
            }
            if (fragments.Count == 0)
                throw new InvalidDataException($"{path}: the encapsulated pixel data holds no fragment.");
            dataset.Fragments = fragments;
        }
    }
}
