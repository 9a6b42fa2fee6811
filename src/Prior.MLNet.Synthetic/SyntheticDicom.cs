using System.Buffers.Binary;
using System.Text;
using Prior.MLNet.IO;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// Writes a radiograph as a DICOM Part 10 file the way archives hand them out: the 128-byte preamble and "DICM", the
/// file meta group, then the data set in explicit VR little endian with the patient, study, series and instance
/// identifiers, the view position and the image pixel module (MONOCHROME2, one sample, 8 bits, or 16 bits allocated
/// with <c>bitsStored</c> stored and a window for them). Only what the synthetic datasets need; the library's reader
/// is tested against files made by dcmtk, not against this writer.
/// </summary>
internal static class SyntheticDicom
{
    /// <summary>Digital X-Ray Image Storage – For Presentation (PS3.4 B.5), the SOP class of chest radiographs.</summary>
    public const string DigitalXRayForPresentation = "1.2.840.10008.5.1.4.1.1.1.1";

    private const string ExplicitVRLittleEndian = "1.2.840.10008.1.2.1";

    // A UID root under 2.25 (PS3.5 B.2: a UUID as a decimal integer) fixed for this generator.
    private const string ImplementationClassUid = "2.25.180334229718120448113962117305473218112";

    /// <summary>The identifiers and attributes written beside the pixels.</summary>
    public sealed record Identity(
        string PatientId,
        string StudyInstanceUid,
        string SeriesInstanceUid,
        string SopInstanceUid,
        string ViewPosition
    );

    /// <summary>
    /// Writes 8-bit gray <paramref name="pixels"/> (row-major) to <paramref name="path"/> atomically. With
    /// <paramref name="bitsStored"/> above 8, each pixel is written as p × (2^bits − 1) / 255 in 16-bit words, with a window
    /// covering the stored range, so a viewer shows the same image.
    /// </summary>
    public static void Write(string path, byte[] pixels, int width, int height, Identity identity, int bitsStored = 8)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(pixels.Length, width * height);
        if (bitsStored is < 8 or > 16)
            throw new ArgumentOutOfRangeException(nameof(bitsStored), bitsStored, "8 to 16 bits.");
        int bitsAllocated = bitsStored == 8 ? 8 : 16;
        var data = new MemoryStream();
        var writer = new BinaryWriter(data);
        writer.Write(new byte[128]);
        writer.Write("DICM"u8);

        var meta = new MemoryStream();
        var metaWriter = new BinaryWriter(meta);
        Element(metaWriter, 0x0002, 0x0001, "OB", [0, 1]);
        Text(metaWriter, 0x0002, 0x0002, "UI", DigitalXRayForPresentation);
        Text(metaWriter, 0x0002, 0x0003, "UI", identity.SopInstanceUid);
        Text(metaWriter, 0x0002, 0x0010, "UI", ExplicitVRLittleEndian);
        Text(metaWriter, 0x0002, 0x0012, "UI", ImplementationClassUid);
        Text(metaWriter, 0x0002, 0x0013, "SH", "PRIOR_MLNET");
        var groupLength = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(groupLength, (uint)meta.Length);
        Element(writer, 0x0002, 0x0000, "UL", groupLength);
        writer.Write(meta.ToArray());

        Text(writer, 0x0008, 0x0016, "UI", DigitalXRayForPresentation);
        Text(writer, 0x0008, 0x0018, "UI", identity.SopInstanceUid);
        Text(writer, 0x0008, 0x0060, "CS", "DX");
        Text(writer, 0x0010, 0x0020, "LO", identity.PatientId);
        Text(writer, 0x0018, 0x5101, "CS", identity.ViewPosition);
        Text(writer, 0x0020, 0x000D, "UI", identity.StudyInstanceUid);
        Text(writer, 0x0020, 0x000E, "UI", identity.SeriesInstanceUid);
        UShort(writer, 0x0028, 0x0002, 1);
        Text(writer, 0x0028, 0x0004, "CS", "MONOCHROME2");
        UShort(writer, 0x0028, 0x0010, height);
        UShort(writer, 0x0028, 0x0011, width);
        UShort(writer, 0x0028, 0x0100, bitsAllocated);
        UShort(writer, 0x0028, 0x0101, bitsStored);
        UShort(writer, 0x0028, 0x0102, bitsStored - 1);
        UShort(writer, 0x0028, 0x0103, 0);
        byte[] values;
        if (bitsAllocated == 8)
            values = pixels;
        else
        {
            int max = (1 << bitsStored) - 1;
            // The window spans the stored range: centre and width as PS3.3 C.11.2.1.2.1 defines them for a linear ramp.
            Text(writer, 0x0028, 0x1050, "DS", Invariant((max + 1) / 2.0));
            Text(writer, 0x0028, 0x1051, "DS", Invariant(max + 1));
            values = new byte[pixels.Length * 2];
            for (int i = 0; i < pixels.Length; i++)
                BinaryPrimitives.WriteUInt16LittleEndian(values.AsSpan(i * 2), (ushort)((pixels[i] * max + 127) / 255));
        }
        Element(writer, 0x7FE0, 0x0010, bitsAllocated == 8 ? "OB" : "OW", values);
        writer.Flush();
        AtomicFile.WriteAllBytes(path, data.GetBuffer().AsSpan(0, (int)data.Length));
    }

    private static string Invariant(double value) => value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    private static void UShort(BinaryWriter writer, ushort group, ushort element, int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, checked((ushort)value));
        Element(writer, group, element, "US", bytes);
    }

    // Text values are padded to an even length: UIDs with NUL, other strings with a space (PS3.5 6.2).
    private static void Text(BinaryWriter writer, ushort group, ushort element, string vr, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        if (bytes.Length % 2 == 1)
            bytes = [.. bytes, vr == "UI" ? (byte)0 : (byte)' '];
        Element(writer, group, element, vr, bytes);
    }

    private static void Element(BinaryWriter writer, ushort group, ushort element, string vr, byte[] value)
    {
        if (value.Length % 2 == 1)
            value = [.. value, 0];
        writer.Write(group);
        writer.Write(element);
        writer.Write(Encoding.ASCII.GetBytes(vr));
        if (vr is "OB" or "OW" or "SQ" or "UN" or "UT")
        {
            writer.Write((ushort)0);
            writer.Write((uint)value.Length);
        }
        else
            writer.Write(checked((ushort)value.Length));
        writer.Write(value);
    }
}
