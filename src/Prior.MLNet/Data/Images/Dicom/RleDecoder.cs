using System.Buffers.Binary;

namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Decodes one frame of DICOM RLE Lossless (PS3.5 annex G): a 64-byte header of up to 15 segment offsets, then one
/// PackBits-coded segment per byte of each sample (the most significant byte first, sample by sample). The output is
/// laid out as native pixel data with planar configuration 1 (each sample's plane in turn, words little endian). A
/// segment that ends before its plane is full is refused, never filled.
/// </summary>
internal static class RleDecoder
{
    /// <summary>The frame's samples as native data, one plane per sample.</summary>
    public static byte[] Decode(byte[] frame, DicomDataset d, string path)
    {
        if (d.BitsAllocated is not (8 or 16 or 32))
            throw new InvalidDataException($"{path}: RLE with Bits Allocated {d.BitsAllocated}; 8, 16 and 32 are read.");
        if (frame.Length < 64)
            throw new InvalidDataException($"{path}: truncated: the RLE frame is {frame.Length} bytes, shorter than its 64-byte header.");
        int bytesPerSample = d.BitsAllocated / 8;
        int expected = d.SamplesPerPixel * bytesPerSample;
        int segments = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (segments != expected)
            throw new InvalidDataException(
                $"{path}: the RLE frame has {segments} segments; {d.SamplesPerPixel} sample(s) of {d.BitsAllocated} bits need {expected}."
            );
        long plane = (long)d.Rows * d.Columns;
        var output = new byte[plane * expected];
        for (int s = 0; s < segments; s++)
        {
            long start = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4 + 4 * s));
            long end = s + 1 < segments ? BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(8 + 4 * s)) : frame.Length;
            if (start < 64 || end > frame.Length || end < start)
                throw new InvalidDataException($"{path}: RLE segment {s + 1} lies outside the frame (offsets {start} to {end}).");
            int sample = s / bytesPerSample,
                significance = s % bytesPerSample; // 0: the most significant byte
            long written = Unpack(
                frame.AsSpan((int)start, (int)(end - start)),
                output,
                sample * plane * bytesPerSample,
                bytesPerSample - 1 - significance,
                bytesPerSample,
                plane
            );
            if (written < plane)
                throw new InvalidDataException(
                    $"{path}: corrupt: RLE segment {s + 1} ends after {written:N0} of the {plane:N0} bytes its plane needs."
                );
        }
        return output;
    }

    // PackBits: n in 0..127 copies the next n + 1 bytes, n in -127..-1 repeats the next byte 1 - n times, -128 does
    // nothing. Writes byte `byteIndex` of each `stride`-byte word from `offset` on; returns the bytes written.
    private static long Unpack(ReadOnlySpan<byte> segment, byte[] output, long offset, int byteIndex, int stride, long count)
    {
        long written = 0;
        int at = 0;
        while (written < count && at < segment.Length)
        {
            int n = (sbyte)segment[at++];
            if (n >= 0)
            {
                for (int i = 0; i <= n && written < count && at < segment.Length; i++)
                    output[offset + written++ * stride + byteIndex] = segment[at++];
            }
            else if (n != -128)
            {
                if (at >= segment.Length)
                    break;
                byte value = segment[at++];
                for (int i = 0; i < 1 - n && written < count; i++)
                    output[offset + written++ * stride + byteIndex] = value;
            }
        }
        return written;
    }
}
