using System.Buffers.Binary;
using System.IO.Compression;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Makes the hostile inputs the decoders are tested against, from real files: headers that lie about the size (a JPEG's
/// frame header, a DICOM's Rows and Columns, a PNG's IHDR) and PNG files built chunk by chunk.
/// </summary>
internal static class HostileImages
{
    /// <summary>A copy of a JPEG (or a JPEG inside a DICOM's bytes) whose first frame header (SOFn) declares another size.</summary>
    public static byte[] WithJpegSize(byte[] file, int width, int height)
    {
        var copy = (byte[])file.Clone();
        for (int i = 0; i + 8 < copy.Length; i++)
        {
            if (
                copy[i] == 0xFF && copy[i + 1] is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC
                || copy[i] == 0xFF && copy[i + 1] == 0xF7
            )
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        }
        throw new InvalidOperationException("no JPEG frame header found");
    }

    /// <summary>A copy of an explicit-VR little-endian DICOM whose Rows and Columns say another size.</summary>
    public static byte[] WithDicomSize(byte[] file, int columns, int rows)
    {
        var copy = (byte[])file.Clone();
        Set(copy, [0x28, 0x00, 0x10, 0x00, (byte)'U', (byte)'S', 0x02, 0x00], (ushort)rows);
        Set(copy, [0x28, 0x00, 0x11, 0x00, (byte)'U', (byte)'S', 0x02, 0x00], (ushort)columns);
        return copy;
    }

    private static void Set(byte[] file, byte[] element, ushort value)
    {
        int at = file.AsSpan().IndexOf(element);
        if (at < 0)
            throw new InvalidOperationException("element not found");
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(at + 8), value);
    }

    /// <summary>
    /// A PNG of <paramref name="width"/> × <paramref name="height"/> gray pixels, all zero, compressed by zlib at its best:
    /// a decompression bomb when large (19,000 × 19,000 is 361 M pixels in about 350 KB). With <paramref name="rows"/>
    /// below the height, the data holds only that many rows (a file whose header lies).
    /// </summary>
    public static byte[] GrayPng(int width, int height, int? rows = null)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var line = new byte[width + 1]; // filter byte 0, then the row
            for (int y = 0; y < (rows ?? height); y++)
                z.Write(line);
        }
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8; // bit depth; colour type 0 (gray), compression, filter and interlace 0
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        png.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    // CRC-32 (ISO 3309, as PNG uses it), bit by bit: the test's own, not the library's.
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
