namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Makes a three-component JPEG say the colour transform its DICOM's photometric interpretation says, so that the JPEG
/// decoder cannot guess otherwise. libjpeg decides from the stream: a JFIF marker means YCbCr, an Adobe APP14 marker
/// names the transform, and with neither it guesses from the component ids (1, 2, 3 read as YCbCr). An RGB frame with
/// ids 1, 2, 3 and no marker - several toolkits write them - would be decoded as YCbCr, every pixel wrong. The JFIF and
/// Adobe markers are taken out and one Adobe marker with the DICOM's transform is put after SOI (T.872 / Adobe TN 5116:
/// transform 0 = none, 1 = YCbCr); the scan is copied untouched.
/// </summary>
internal static class JpegColourMarker
{
    /// <summary>The frame with its colour transform fixed; the frame itself for gray or when the DICOM leaves it to the stream.</summary>
    public static byte[] Apply(byte[] jpeg, DicomImage.JpegColour colour)
    {
        if (colour == DicomImage.JpegColour.AsStream || jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
            return jpeg;
        var kept = new List<(int Start, int Length)>();
        int components = 0,
            at = 2;
        while (true)
        {
            if (at + 4 > jpeg.Length || jpeg[at] != 0xFF)
                return jpeg; // malformed: the decoder says what is wrong
            byte marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }
            int length = (jpeg[at + 2] << 8) | jpeg[at + 3];
            if (at + 2 + length > jpeg.Length)
                return jpeg;
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC && length >= 8)
                components = jpeg[at + 9];
            if (marker == 0xDA)
            {
                kept.Add((at, jpeg.Length - at)); // the scan and all after it
                break;
            }
            bool jfif = marker == 0xE0 && length >= 7 && jpeg.AsSpan(at + 4, 5).SequenceEqual("JFIF\0"u8);
            bool adobe = marker == 0xEE && length >= 7 && jpeg.AsSpan(at + 4, 5).SequenceEqual("Adobe"u8);
            if (!jfif && !adobe)
                kept.Add((at, 2 + length));
            at += 2 + length;
        }
        if (components != 3)
            return jpeg;
        byte transform = colour == DicomImage.JpegColour.Rgb ? (byte)0 : (byte)1;
        byte[] app14 = [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0, 0, 0, 0, transform];
        var output = new byte[2 + app14.Length + kept.Sum(k => k.Length)];
        output[0] = 0xFF;
        output[1] = 0xD8;
        app14.CopyTo(output, 2);
        int to = 2 + app14.Length;
        foreach (var (start, length) in kept)
        {
            Array.Copy(jpeg, start, output, to, length);
            to += length;
        }
        return output;
    }
}
