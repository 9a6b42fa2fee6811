using System.Buffers.Binary;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// The orientation tag (0x0112) of an EXIF block's first image directory (TIFF 6.0 layout: byte order, 42, the
/// directory's offset, then 12-byte entries): 1 to 8 as EXIF defines them (the values of SkiaSharp's
/// <c>SKEncodedOrigin</c>).
/// </summary>
internal static class ExifOrientation
{
    /// <summary>
    /// Reads the orientation from <paramref name="tiff"/> (an APP1 segment after its "Exif\0\0"): 1-8; 0 when the
    /// block has no orientation tag; -1 when it is malformed or the value is not one of 1-8 (a block SkiaSharp's codec
    /// would pass over to look at the next one, which is left to it).
    /// </summary>
    public static int Read(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
            return -1;
        bool little = tiff[0] == 'I' && tiff[1] == 'I';
        if (!little && !(tiff[0] == 'M' && tiff[1] == 'M'))
            return -1;
        if (Read16(tiff, 2, little) != 42)
            return -1;
        long directory = Read32(tiff, 4, little);
        if (directory < 8 || directory + 2 > tiff.Length)
            return -1;
        int entries = Read16(tiff, (int)directory, little);
        for (int i = 0; i < entries; i++)
        {
            int entry = (int)directory + 2 + 12 * i;
            if (entry + 12 > tiff.Length)
                return -1;
            if (Read16(tiff, entry, little) != 0x0112)
                continue;
            if (Read16(tiff, entry + 2, little) != 3 || Read32(tiff, entry + 4, little) != 1)
                return -1; // one SHORT
            int orientation = Read16(tiff, entry + 8, little);
            return orientation is >= 1 and <= 8 ? orientation : -1;
        }
        return 0;
    }

    private static int Read16(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(at)) : BinaryPrimitives.ReadUInt16BigEndian(data.Slice(at));

    private static long Read32(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(at)) : BinaryPrimitives.ReadUInt32BigEndian(data.Slice(at));
}
