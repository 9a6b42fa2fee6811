namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// A DICOM radiograph as the 8-bit gray image a viewer shows (PS3.4 N.2's grayscale pipeline): stored values masked to
/// Bits Stored (sign-extended when signed), the modality transform (Rescale Slope and Intercept), the VOI transform —
/// the VOI LUT Sequence's first LUT when present, else the first Window Center and Width (LINEAR, LINEAR_EXACT or
/// SIGMOID), else the image's own minimum to maximum (an 8-bit image without either is shown as stored) — and
/// MONOCHROME1 inverted. Encapsulated JPEG baseline frames decode through the library's JPEG path, lossless ones through
/// <see cref="JpegLosslessDecoder"/>. A multi-frame image and anything but MONOCHROME1/2 uncompressed are refused by name.
/// </summary>
internal static class DicomImage
{
    /// <summary>Decodes the DICOM file in <paramref name="bytes"/>; JPEG baseline frames go through <paramref
    /// name="decodeJpeg"/>.</summary>
    public static (byte[] Pixels, int Width, int Height) Decode(
        string path,
        ReadOnlySpan<byte> bytes,
        Func<byte[], (byte[] Pixels, int Width, int Height)> decodeJpeg
    )
    {
        var d = DicomReader.Read(path, bytes);
        if (d.NumberOfFrames > 1)
            throw new InvalidDataException($"{path}: a multi-frame DICOM ({d.NumberOfFrames} frames); only single images are read.");
        bool monochrome = d.PhotometricInterpretation is "MONOCHROME1" or "MONOCHROME2";
        if (d.TransferSyntax == DicomTransferSyntax.JpegBaseline)
        {
            // An 8-bit lossy frame: what the JPEG holds is what is shown, unless the file says how to window it.
            var (gray, width, height) = decodeJpeg(d.EncapsulatedFrame!);
            if (!monochrome)
                return (gray, width, height); // colour (YBR/RGB) JPEG: already luma
            var values = Array.ConvertAll(gray, v => (double)v);
            return (Display(d, values, bitsStored: 8, path), width, height);
        }
        if (!monochrome || d.SamplesPerPixel != 1)
            throw new InvalidDataException(
                $"{path}: DICOM photometric interpretation '{d.PhotometricInterpretation}' with {d.SamplesPerPixel} sample(s) per "
                    + "pixel; only grayscale (MONOCHROME1, MONOCHROME2) is read."
            );
        if (d.Rows < 1 || d.Columns < 1 || (long)d.Rows * d.Columns > GrayscaleImage.MaxPixels)
            throw new InvalidDataException($"{path}: DICOM image of {d.Columns} × {d.Rows} pixels is outside what is accepted.");
        double[] stored;
        int bits;
        if (d.EncapsulatedFrame is { } frame)
        {
            var lossless = JpegLosslessDecoder.Decode(frame, path);
            if (lossless.Width != d.Columns || lossless.Height != d.Rows)
                throw new InvalidDataException(
                    $"{path}: the JPEG lossless frame is {lossless.Width} × {lossless.Height}, the DICOM says {d.Columns} × {d.Rows}."
                );
            bits = d.BitsStored > 0 ? d.BitsStored : lossless.Precision;
            stored = Mask(lossless.Samples, bits, d.PixelRepresentation == 1);
        }
        else
        {
            bits = d.BitsStored > 0 ? d.BitsStored : d.BitsAllocated;
            stored = Native(d, path, bits);
        }
        return (Display(d, stored, bits, path), d.Columns, d.Rows);
    }

    private static double[] Native(DicomDataset d, string path, int bits)
    {
        long count = (long)d.Rows * d.Columns;
        var data = d.NativePixels!;
        if (d.BitsAllocated is not (8 or 16))
            throw new InvalidDataException($"{path}: DICOM Bits Allocated {d.BitsAllocated}; 8 and 16 are read.");
        if (bits < 1 || bits > d.BitsAllocated)
            throw new InvalidDataException($"{path}: DICOM Bits Stored {bits} with Bits Allocated {d.BitsAllocated} is not valid.");
        long needed = count * (d.BitsAllocated / 8);
        if (data.LongLength < needed)
            throw new InvalidDataException(
                $"{path}: truncated: the pixel data holds {data.LongLength:N0} bytes, {d.Columns} × {d.Rows} at {d.BitsAllocated} bits "
                    + $"needs {needed:N0}."
            );
        var raw = new ushort[count];
        if (d.BitsAllocated == 8)
            for (long i = 0; i < count; i++)
                raw[i] = data[i];
        else
            for (long i = 0; i < count; i++)
                raw[i] = (ushort)(data[2 * i] | (data[2 * i + 1] << 8));
        // High Bit below the top of Bits Stored's field: shift the stored bits down first (PS3.5 8.1.1).
        int shift = d.HighBit >= 0 ? Math.Max(0, d.HighBit + 1 - bits) : 0;
        if (shift > 0)
            for (long i = 0; i < count; i++)
                raw[i] >>= shift;
        return Mask(raw, bits, d.PixelRepresentation == 1);
    }

    private static double[] Mask(ushort[] samples, int bits, bool signed)
    {
        int mask = bits >= 16 ? 0xFFFF : (1 << bits) - 1;
        var values = new double[samples.LongLength];
        for (long i = 0; i < values.LongLength; i++)
        {
            int v = samples[i] & mask;
            if (signed && (v & (1 << (bits - 1))) != 0)
                v -= 1 << bits; // two's complement within Bits Stored
            values[i] = v;
        }
        return values;
    }

    private static byte[] Display(DicomDataset d, double[] stored, int bitsStored, string path)
    {
        var output = new byte[stored.LongLength];
        bool invert = d.PhotometricInterpretation == "MONOCHROME1";
        if (d.VoiLut is { } lut)
        {
            // A VOI LUT applies to the modality output; its entries are scaled from its own bit depth to 8 bits.
            double top = (1 << Math.Clamp(lut.Bits, 1, 16)) - 1;
            for (long i = 0; i < stored.LongLength; i++)
            {
                double x = stored[i] * d.RescaleSlope + d.RescaleIntercept;
                int index = (int)Math.Clamp(Math.Round(x) - lut.FirstMapped, 0, lut.Entries - 1);
                output[i] = ToByte(255 * Math.Min(lut.Data[index], top) / top, invert);
            }
            return output;
        }
        if (d.WindowCenters.Length > 0 && d.WindowWidths.Length > 0)
        {
            double c = d.WindowCenters[0],
                w = d.WindowWidths[0];
            if (!(w > 0) || (d.VoiLutFunction != "LINEAR_EXACT" && w < 1))
                throw new InvalidDataException($"{path}: DICOM Window Width {w} is not valid (PS3.3 C.11.2.1.2).");
            for (long i = 0; i < stored.LongLength; i++)
            {
                double x = stored[i] * d.RescaleSlope + d.RescaleIntercept;
                double y = d.VoiLutFunction switch
                {
                    "SIGMOID" => 255 / (1 + Math.Exp(-4 * (x - c) / w)),
                    "LINEAR_EXACT" => ((x - c) / w + 0.5) * 255,
                    _ => x <= c - 0.5 - (w - 1) / 2 ? 0
                    : x > c - 0.5 + (w - 1) / 2 ? 255
                    : ((x - (c - 0.5)) / (w - 1) + 0.5) * 255,
                };
                output[i] = ToByte(y, invert);
            }
            return output;
        }
        bool identity = bitsStored == 8 && d.RescaleSlope == 1 && d.RescaleIntercept == 0 && d.PixelRepresentation == 0;
        double min = double.MaxValue,
            max = double.MinValue;
        if (!identity)
            foreach (var v in stored)
            {
                double x = v * d.RescaleSlope + d.RescaleIntercept;
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
        for (long i = 0; i < stored.LongLength; i++)
        {
            double x = stored[i] * d.RescaleSlope + d.RescaleIntercept;
            output[i] = ToByte(
                identity ? x
                    : max > min ? (x - min) / (max - min) * 255
                    : 0,
                invert
            );
        }
        return output;
    }

    private static byte ToByte(double value, bool invert)
    {
        var v = (byte)Math.Clamp(Math.Round(value), 0, 255);
        return invert ? (byte)(255 - v) : v;
    }
}
