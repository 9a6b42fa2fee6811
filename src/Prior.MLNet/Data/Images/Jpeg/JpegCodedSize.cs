namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// Whether a JPEG of any kind the general decoder takes (colour, progressive, any sampling) holds enough coded data for
/// the picture its frame header declares, checked from the markers alone, before any decoder allocates that picture.
/// With Huffman coding every 8 × 8 block of every component costs at least one bit in the scans that carry its DC
/// (T.81 F.1.2.1, G.1.2.1), so a file whose scans hold fewer bits than it has blocks cannot be what it claims: libjpeg
/// would make up the rest as gray, and a 335-byte file claiming 19,000 × 19,000 pixels would allocate 361 M of them.
/// Arithmetic-coded files (a block can cost less than a bit) are not judged.
/// </summary>
internal static class JpegCodedSize
{
    /// <summary>Why <paramref name="file"/> cannot hold the picture it declares, or null when it can (or is not judged).</summary>
    public static string? Implausible(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4 || file[0] != 0xFF || file[1] != 0xD8)
            return null;
        long blocks = 0,
            coded = 0;
        int width = 0,
            height = 0;
        int at = 2;
        while (at + 4 <= file.Length)
        {
            if (file[at] != 0xFF)
                return null; // malformed: the decoder says what is wrong
            byte marker = file[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }
            if (marker is 0xD9)
                break;
            int length = (file[at + 2] << 8) | file[at + 3];
            if (length < 2 || at + 2 + length > file.Length)
                return null;
            var segment = file.Slice(at + 4, length - 2);
            if (marker is >= 0xC9 and <= 0xCF and not 0xCC)
                return null; // arithmetic coding
            if (marker is >= 0xC0 and <= 0xC7 and not 0xC4 && segment.Length >= 6)
            {
                height = (segment[1] << 8) | segment[2];
                width = (segment[3] << 8) | segment[4];
                int components = segment[5];
                if (segment.Length < 6 + 3 * components || height == 0)
                    return null;
                int hMax = 1,
                    vMax = 1;
                for (int c = 0; c < components; c++)
                {
                    hMax = Math.Max(hMax, segment[7 + 3 * c] >> 4);
                    vMax = Math.Max(vMax, segment[7 + 3 * c] & 15);
                }
                bool lossless = marker is 0xC3 or 0xC7;
                for (int c = 0; c < components; c++)
                {
                    int h = Math.Max(1, segment[7 + 3 * c] >> 4),
                        v = Math.Max(1, segment[7 + 3 * c] & 15);
                    long w = ((long)width * h + hMax - 1) / hMax,
                        ht = ((long)height * v + vMax - 1) / vMax;
                    blocks += lossless ? w * ht : ((w + 7) / 8) * ((ht + 7) / 8);
                }
            }
            at += 2 + length;
            if (marker == 0xDA)
            {
                // The scan's coded bytes run to the next marker other than RSTn (0xFF 0x00 is a stuffed data byte).
                while (at + 1 < file.Length && !(file[at] == 0xFF && file[at + 1] is not 0x00 and not (>= 0xD0 and <= 0xD7) and not 0xFF))
                {
                    coded++;
                    at++;
                }
            }
        }
        if (blocks == 0 || 8 * coded >= blocks)
            return null;
        return $"corrupt: the JPEG declares {width:N0} × {height:N0} pixels, {blocks:N0} blocks that need at least "
            + $"{(blocks + 7) / 8:N0} bytes of coded data; it holds {coded:N0}";
    }
}
