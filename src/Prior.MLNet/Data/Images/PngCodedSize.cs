using System.Buffers.Binary;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// Whether a PNG holds enough compressed data for the picture its IHDR declares, from its chunk headers alone, before a
/// decoder allocates that picture. Deflate packs at most 1,032 bytes into one (a 258-byte match in two bits, RFC 1951),
/// so image data of n bytes inflates to at most about 1,032 n: a file whose IDAT chunks hold less than its scanlines
/// need over that cannot be what it claims. (A legitimately compressed picture is within it, however large: only the
/// pixel budget bounds those.)
/// </summary>
internal static class PngCodedSize
{
    private const int MaxDeflateRatio = 1032;

    /// <summary>Why <paramref name="file"/> cannot hold the picture it declares, or null when it can (or is no PNG).</summary>
    public static string? Implausible(ReadOnlySpan<byte> file)
    {
        if (file.Length < 33 || !file[..8].SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            return null;
        if (!file.Slice(12, 4).SequenceEqual("IHDR"u8))
            return null;
        long width = BinaryPrimitives.ReadUInt32BigEndian(file[16..]),
            height = BinaryPrimitives.ReadUInt32BigEndian(file[20..]);
        int depth = file[24],
            colour = file[25];
        int channels = colour switch
        {
            0 or 3 => 1,
            4 => 2,
            2 => 3,
            6 => 4,
            _ => 0,
        };
        if (channels == 0 || width == 0 || height == 0)
            return null;
        long scanlines = height * (1 + (width * channels * depth + 7) / 8);
        long data = 0;
        for (long at = 8; at + 12 <= file.Length; )
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(file[(int)at..]);
            if (file.Slice((int)at + 4, 4).SequenceEqual("IDAT"u8))
                data += length;
            at += 12 + length;
        }
        if (data * MaxDeflateRatio >= scanlines)
            return null;
        return $"corrupt: the PNG declares {width:N0} × {height:N0} pixels, {scanlines:N0} bytes of scanlines, and its {data:N0} bytes of "
            + $"image data cannot inflate to them (deflate packs at most {MaxDeflateRatio:N0} to 1)";
    }
}
