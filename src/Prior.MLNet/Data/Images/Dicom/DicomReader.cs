using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Reads the parts of a DICOM Part 10 file (PS3.10) an image needs: with or without the 128-byte preamble and "DICM",
/// the file meta group (explicit VR little endian), then the data set in implicit or explicit VR little endian,
/// sequences of defined and undefined length stepped over, the VOI LUT Sequence's first LUT kept, and the pixel data
/// (native, or the encapsulated frame's fragments joined). Reading stops at the pixel data. Every failure names the
/// file and what is wrong; a transfer syntax that is not read is named with its UID.
/// </summary>
internal static class DicomReader
{
    private const uint PixelDataTag = 0x7FE00010;
    private const uint ItemTag = 0xFFFEE000;
    private const uint ItemDelimitationTag = 0xFFFEE00D;
    private const uint SequenceDelimitationTag = 0xFFFEE0DD;
    private const uint VoiLutSequenceTag = 0x00283010;
    private const uint UndefinedLength = 0xFFFFFFFF;

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
    /// geometry. Throws as <see cref="Read(string, ReadOnlySpan{byte})"/> does, naming the file.
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
            return Read(path, head, headerOnly: true);
        }
        catch (InvalidDataException) when (stream.Length > Prefix)
        {
            // A header longer than the prefix (large private elements before the pixels): read the whole file.
            return Read(path, File.ReadAllBytes(path), headerOnly: true);
        }
    }

    /// <summary>Reads <paramref name="bytes"/>; <paramref name="path"/> names the file in errors.</summary>
    public static DicomDataset Read(string path, ReadOnlySpan<byte> bytes) => Read(path, bytes, headerOnly: false);

    private static DicomDataset Read(string path, ReadOnlySpan<byte> bytes, bool headerOnly)
    {
        var dataset = new DicomDataset();
        int position = bytes.Length >= 132 && bytes.Slice(128, 4).SequenceEqual("DICM"u8) ? 132 : 0;
        var reader = new Cursor(path, bytes, position, explicitVR: true);
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
                    + "implicit and explicit VR little endian, JPEG baseline and JPEG lossless."
            );
        reader = new Cursor(path, bytes, reader.Position, DicomTransferSyntax.IsExplicit(syntax));
        while (reader.Remaining > 0)
        {
            if (reader.Remaining < 8)
                break; // trailing padding
            if (headerOnly && reader.PeekTag() == PixelDataTag)
                return dataset;
            var element = reader.Next();
            if (element.Tag == PixelDataTag)
            {
                if (element.Length == UndefinedLength)
                    dataset.EncapsulatedFrame = reader.ReadFragments();
                else
                    dataset.NativePixels = element.Value.ToArray();
                break;
            }
            Apply(dataset, element, path, explicitVR: reader.ExplicitVR, bytes);
            if (element.Length == UndefinedLength)
                reader.SkipUndefined(element.Tag == VoiLutSequenceTag ? dataset : null);
        }
        if (headerOnly)
            throw new InvalidDataException(
                $"{path}: truncated: the DICOM data ends at byte {bytes.Length} before its pixel data (an interrupted copy or download?)."
            );
        if (!dataset.HasPixelData)
            throw new InvalidDataException($"{path}: a DICOM file without pixel data (no (7FE0,0010) element); not an image.");
        return dataset;
    }

    private static void Apply(DicomDataset dataset, Element element, string path, bool explicitVR, ReadOnlySpan<byte> bytes)
    {
        var v = element.Value;
        switch (element.Tag)
        {
            case 0x00280002:
                dataset.SamplesPerPixel = UShort(v);
                break;
            case 0x00280004:
                dataset.PhotometricInterpretation = Text(v);
                break;
            case 0x00280008:
                dataset.NumberOfFrames = (int)Numbers(v, path, "Number of Frames").FirstOrDefault(1);
                break;
            case 0x00280010:
                dataset.Rows = UShort(v);
                break;
            case 0x00280011:
                dataset.Columns = UShort(v);
                break;
            case 0x00280100:
                dataset.BitsAllocated = UShort(v);
                break;
            case 0x00280101:
                dataset.BitsStored = UShort(v);
                break;
            case 0x00280102:
                dataset.HighBit = UShort(v);
                break;
            case 0x00280103:
                dataset.PixelRepresentation = UShort(v);
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
            case VoiLutSequenceTag when element.Length != UndefinedLength:
                new Cursor(path, bytes, element.ValueOffset, explicitVR, element.ValueOffset + v.Length).ReadVoiLutItems(dataset);
                break;
        }
    }

    private static int UShort(ReadOnlySpan<byte> value) => value.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(value) : 0;

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

    private ref struct Cursor(string path, ReadOnlySpan<byte> bytes, int position, bool explicitVR, int end = -1)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private readonly int _end = end < 0 ? bytes.Length : end;
        public int Position { get; private set; } = position;
        public bool ExplicitVR { get; } = explicitVR;
        public readonly int Remaining => _end - Position;

        public readonly ushort PeekGroup() => BinaryPrimitives.ReadUInt16LittleEndian(_bytes[Position..]);

        public readonly uint PeekTag() =>
            ((uint)BinaryPrimitives.ReadUInt16LittleEndian(_bytes[Position..]) << 16)
            | BinaryPrimitives.ReadUInt16LittleEndian(_bytes[(Position + 2)..]);

        private uint Tag()
        {
            Need(4, "a tag");
            uint tag =
                ((uint)BinaryPrimitives.ReadUInt16LittleEndian(_bytes[Position..]) << 16)
                | BinaryPrimitives.ReadUInt16LittleEndian(_bytes[(Position + 2)..]);
            Position += 4;
            return tag;
        }

        private uint UInt32()
        {
            Need(4, "a length");
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(_bytes[Position..]);
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
                    length = BinaryPrimitives.ReadUInt16LittleEndian(_bytes[Position..]);
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
                        new Cursor(path, _bytes, Position, ExplicitVR, Position + (int)length).ReadLut(voiLutTarget);
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
                        SkipUndefined(null);
                }
                if (voiLutTarget is not null && voiLutTarget.VoiLut is null)
                    new Cursor(path, _bytes, itemStart, ExplicitVR, Position).ReadLut(voiLutTarget);
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
                new Cursor(path, _bytes, Position, ExplicitVR, Position + (int)length).ReadLut(dataset);
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
                    SkipUndefined(null);
                    continue;
                }
                if (element.Tag == ItemDelimitationTag)
                    break;
                if (element.Tag == 0x00283002 && element.Value.Length >= 6)
                    descriptor =
                    [
                        BinaryPrimitives.ReadUInt16LittleEndian(element.Value),
                        element.VR == "SS"
                            ? BinaryPrimitives.ReadInt16LittleEndian(element.Value[2..])
                            : BinaryPrimitives.ReadUInt16LittleEndian(element.Value[2..]),
                        BinaryPrimitives.ReadUInt16LittleEndian(element.Value[4..]),
                    ];
                else if (element.Tag == 0x00283006)
                {
                    data = new ushort[element.Value.Length / 2];
                    for (int i = 0; i < data.Length; i++)
                        data[i] = BinaryPrimitives.ReadUInt16LittleEndian(element.Value[(2 * i)..]);
                }
            }
            if (descriptor is not null && data is not null)
            {
                int entries = descriptor[0] == 0 ? 65536 : descriptor[0];
                if (data.Length < entries)
                    throw new InvalidDataException($"{path}: the VOI LUT declares {entries} entries and holds {data.Length}.");
                dataset.VoiLut = (entries, descriptor[1], descriptor[2], data);
            }
        }

        // Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table item, then the fragments of the (single) frame.
        public byte[] ReadFragments()
        {
            var frame = new List<byte>();
            bool first = true;
            while (true)
            {
                uint tag = Tag();
                uint length = UInt32();
                if (tag == SequenceDelimitationTag)
                    break;
                if (tag != ItemTag || length == UndefinedLength)
                    throw new InvalidDataException(
                        $"{path}: encapsulated pixel data holds ({tag >> 16:X4},{tag & 0xFFFF:X4}) where a fragment belongs."
                    );
                Need(length, "a pixel data fragment");
                if (!first)
                    frame.AddRange(_bytes.Slice(Position, (int)length));
                first = false;
                Position += (int)length;
            }
            if (frame.Count == 0)
                throw new InvalidDataException($"{path}: the encapsulated pixel data holds no fragment.");
            return [.. frame];
        }
    }
}
