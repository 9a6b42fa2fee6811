using System.Buffers.Binary;
using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Corners of the DICOM encoding that dcmtk does not write but other software does, built by inserting elements into
/// dcmtk's files: an undefined-length UN element (CP-246: a private sequence whose VR the writer did not know, encoded in
/// implicit VR inside an explicit-VR file) and a VOI LUT whose first mapped value is negative in an implicit-VR file
/// (no VR to say the descriptor is signed).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DicomEdgeCaseTests
{
    private static byte[] Dicom(string name) => File.ReadAllBytes(Path.Combine(RepositoryPaths.TestData, "dicom", name));

    private static byte[] InsertBeforePixelData(byte[] file, byte[] elements)
    {
        int at = file.AsSpan().LastIndexOf(new byte[] { 0xE0, 0x7F, 0x10, 0x00 });
        return [.. file.AsSpan(0, at), .. elements, .. file.AsSpan(at)];
    }

    private static byte[] Tag(ushort group, ushort element) => [(byte)group, (byte)(group >> 8), (byte)element, (byte)(element >> 8)];

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    [TestMethod]
    public void AnUndefinedLengthUnElementIsSteppedOverAsImplicitVR()
    {
        // (0009,1010) UN, undefined length: one item of undefined length holding (0010,0010) in implicit VR, then the
        // item and sequence delimiters. Read as explicit VR, "AB" would be taken for a VR and the file misread.
        byte[] un =
        [
            .. Tag(0x0009, 0x1010),
            (byte)'U',
            (byte)'N',
            0,
            0,
            .. UInt32(0xFFFFFFFF),
            .. Tag(0xFFFE, 0xE000),
            .. UInt32(0xFFFFFFFF),
            .. Tag(0x0010, 0x0010),
            .. UInt32(4),
            (byte)'A',
            (byte)'B',
            (byte)'C',
            (byte)'D',
            .. Tag(0xFFFE, 0xE00D),
            .. UInt32(0),
            .. Tag(0xFFFE, 0xE0DD),
            .. UInt32(0),
        ];
        var file = InsertBeforePixelData(Dicom("explicit-le.dcm"), un);
        var read = GrayscaleImage.Decode("un.dcm", file, 0);
        CollectionAssert.AreEqual(
            GrayscaleImage.Read(Path.Combine(RepositoryPaths.TestData, "dicom", "explicit-le.dcm")).Pixels,
            read.Pixels
        );
    }

    [TestMethod]
    public void ASignedVoiLutDescriptorInImplicitVRMapsNegativeValues()
    {
        // Pixel Representation 1 (signed 8-bit values), and a VOI LUT of 256 entries starting at -128 whose entry i is
        // 255 - i: a stored v shows as 255 - (v + 128). Read unsigned, the first value mapped would be 65,408 and every
        // pixel would take entry 0.
        var file = Dicom("implicit-le.dcm");
        int representation = file.AsSpan().IndexOf(new byte[] { 0x28, 0x00, 0x03, 0x01, 2, 0, 0, 0 });
        Assert.IsGreaterThan(0, representation);
        file[representation + 8] = 1;
        var descriptor = new byte[6];
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor, 256);
        BinaryPrimitives.WriteInt16LittleEndian(descriptor.AsSpan(2), -128);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor.AsSpan(4), 8);
        var data = new byte[512];
        for (int i = 0; i < 256; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(2 * i), (ushort)(255 - i));
        byte[] item = [.. Tag(0x0028, 0x3002), .. UInt32(6), .. descriptor, .. Tag(0x0028, 0x3006), .. UInt32(512), .. data];
        byte[] sequence =
        [
            .. Tag(0x0028, 0x3010),
            .. UInt32((uint)(8 + item.Length)),
            .. Tag(0xFFFE, 0xE000),
            .. UInt32((uint)item.Length),
            .. item,
        ];
        var read = GrayscaleImage.Decode("signed-lut.dcm", InsertBeforePixelData(file, sequence), 0).Pixels;
        var stored = GrayscaleImage.Read(Path.Combine(RepositoryPaths.TestData, "dicom", "implicit-le.dcm")).Pixels;
        for (int i = 0; i < stored.Length; i++)
        {
            int v = (sbyte)stored[i]; // the same bits, read as signed
            Assert.AreEqual(255 - (v + 128), read[i], $"pixel {i}, stored {v}");
        }
    }
}
