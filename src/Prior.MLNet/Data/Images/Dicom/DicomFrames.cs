namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Which fragments of encapsulated pixel data make up one frame (PS3.5 A.4): all of them for a single frame; for several,
/// the Basic Offset Table where the file fills it, else one fragment a frame where the counts agree, else a new frame at
/// each fragment that starts a codestream (JPEG's SOI, JPEG 2000's SOC or JP2 signature).
/// </summary>
internal static class DicomFrames
{
    /// <summary>Frame <paramref name="index"/> (from 0) of <paramref name="frames"/>, its fragments joined.</summary>
    public static byte[] Frame(DicomDataset d, int index, int frames, string path)
    {
        var fragments = d.Fragments!;
        if (frames == 1)
            return Join(fragments, 0, fragments.Count);
        if (d.FrameOffsets.Length == frames)
        {
            long start = d.FrameOffsets[index],
                end = index + 1 < frames ? d.FrameOffsets[index + 1] : long.MaxValue;
            int first = d.FragmentOffsets.IndexOf(start);
            if (first < 0)
                throw new InvalidDataException($"{path}: the Basic Offset Table points frame {index + 1} at no fragment.");
            int last = first;
            while (last < fragments.Count && d.FragmentOffsets[last] < end)
                last++;
            return Join(fragments, first, last - first);
        }
        if (fragments.Count == frames)
            return fragments[index];
        var starts = new List<int>();
        for (int i = 0; i < fragments.Count; i++)
            if (StartsCodestream(fragments[i]))
                starts.Add(i);
        if (starts.Count == frames && starts[0] == 0)
        {
            int end = index + 1 < frames ? starts[index + 1] : fragments.Count;
            return Join(fragments, starts[index], end - starts[index]);
        }
        throw new InvalidDataException(
            $"{path}: {fragments.Count} pixel data fragments for {frames} frames, no offset table and no way to tell the frames apart."
        );
    }

    private static bool StartsCodestream(byte[] f) =>
        f.Length >= 4 && f[0] == 0xFF && f[1] is 0xD8 or 0x4F
        || f.Length >= 8 && f.AsSpan(0, 8).SequenceEqual(new byte[] { 0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20 });

    private static byte[] Join(List<byte[]> fragments, int first, int count)
    {
        if (count == 1)
            return fragments[first];
        var joined = new byte[fragments.Skip(first).Take(count).Sum(f => (long)f.Length)];
        long at = 0;
        foreach (var f in fragments.Skip(first).Take(count))
        {
            f.CopyTo(joined, at);
            at += f.Length;
        }
        return joined;
    }
}
