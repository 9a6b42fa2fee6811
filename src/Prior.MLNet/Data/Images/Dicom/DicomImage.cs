namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// A DICOM image as the 8-bit gray picture a viewer shows. Grayscale (MONOCHROME1/2) goes through PS3.4 N.2's pipeline:
/// stored values masked to Bits Stored (sign-extended when signed), the modality transform (Rescale Slope and
/// Intercept), the VOI transform - the VOI LUT Sequence's first LUT when present, else the first Window Center and
/// Width (LINEAR, LINEAR_EXACT or SIGMOID), else the image's own minimum to maximum (an 8-bit image without either is
/// shown as stored) - and MONOCHROME1 inverted. Colour (RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR; native or
/// compressed) becomes luma exactly as a colour JPEG does (<see cref="ColourToLuma"/>), the photometric interpretation
/// in the file deciding the colour transform, never a guess from a JPEG stream. One frame is read: the first unless
/// <see cref="ImageReadOptions.Frame"/> says otherwise. The declared size is checked against the pixel budget before
/// anything is decoded, and every codec refuses data that ends before the image it declares is complete.
/// </summary>
internal static class DicomImage
{
    /// <summary>How an 8-bit JPEG frame's three components are to be read, as the DICOM's photometric interpretation says.</summary>
    internal enum JpegColour
    {
        /// <summary>As the JPEG stream says (one component: gray).</summary>
        AsStream,

        /// <summary>Three components that are R, G, B already (no colour transform).</summary>
        Rgb,

        /// <summary>Three components that are Y, Cb, Cr (the JFIF transform back to RGB).</summary>
        YCbCr,
    }

    /// <summary>
    /// Decodes the DICOM file in <paramref name="bytes"/>; 8-bit JPEG frames go through <paramref name="decodeJpeg"/> (the
    /// library's JPEG path, which returns gray or luma).
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) Decode(
        string path,
        ReadOnlySpan<byte> bytes,
        ImageReadOptions options,
        Func<byte[], (byte[] Pixels, int Width, int Height)> decodeJpeg
    )
    {
        // Deflated pixel data is inflated no further than a fixed multiple of the budget (DicomReader.MaxBytesPerPixel).
        var d = DicomReader.Read(path, bytes, options.MaxPixels);
        int frames = Math.Max(1, d.NumberOfFrames);
        if (frames > 1 && options.Frame == 0)
            throw new InvalidDataException($"{path}: a multi-frame DICOM ({frames} frames), and multi-frame files are refused (frame 0).");
        if (options.Frame > frames)
            throw new InvalidDataException($"{path}: frame {options.Frame} was asked for; the DICOM holds {frames} frame(s).");
        int index = Math.Max(1, options.Frame) - 1;
        if (d.Rows < 1 || d.Columns < 1)
            throw new InvalidDataException($"{path}: a DICOM image of {d.Columns} × {d.Rows} pixels; not an image.");
        ImageBudget.ThrowIfOver(path, d.Columns, d.Rows, options.MaxPixels);
        if (d.SamplesPerPixel is not (1 or 3))
            throw new InvalidDataException(
                $"{path}: DICOM Samples per Pixel {d.SamplesPerPixel}; 1 (gray, palette) and 3 (colour) are read."
            );
        var photometric = d.PhotometricInterpretation;
        bool palette = photometric == "PALETTE COLOR";
        if (!d.IsColour && d.SamplesPerPixel != 1 || palette && d.SamplesPerPixel != 1)
            throw new InvalidDataException($"{path}: DICOM '{photometric}' with {d.SamplesPerPixel} samples per pixel is not valid.");
        if (d.IsColour && !palette && d.SamplesPerPixel != 3)
            throw new InvalidDataException(
                $"{path}: DICOM photometric interpretation '{photometric}' with {d.SamplesPerPixel} sample(s) per pixel is not read; "
                    + "grayscale (MONOCHROME1, MONOCHROME2), RGB, YBR_FULL, YBR_FULL_422 and PALETTE COLOR are."
            );
        var frame = d.Fragments is null ? null : DicomFrames.Frame(d, index, frames, path);
        var syntax = d.TransferSyntax;
        if (syntax is DicomTransferSyntax.JpegBaseline or DicomTransferSyntax.JpegExtended && JpegPrecision(frame!) == 8)
            return DecodeJpeg8(path, d, frame!, decodeJpeg);
        Samples samples = syntax switch
        {
            DicomTransferSyntax.JpegBaseline or DicomTransferSyntax.JpegExtended => Samples.FromImage(
                Jpeg12Decoder.Decode(frame!, path, options.MaxPixels)
            ),
            DicomTransferSyntax.JpegLossless or DicomTransferSyntax.JpegLosslessFirstOrder => Samples.FromImage(
                JpegLosslessDecoder.Decode(frame!, path, options.MaxPixels)
            ),
            DicomTransferSyntax.JpegLsLossless or DicomTransferSyntax.JpegLsNearLossless => Samples.FromImage(
                JpegLsDecoder.Decode(frame!, path, options.MaxPixels)
            ),
            DicomTransferSyntax.Jpeg2000Lossless or DicomTransferSyntax.Jpeg2000 => Samples.FromImage(
                OpenJpeg.Decode(frame!, path, options.MaxPixels)
            ),
            DicomTransferSyntax.RleLossless => Samples.FromNative(d, RleDecoder.Decode(frame!, d, path), 0, path, planar: true),
            _ => Samples.FromNative(d, d.NativePixels!, index, path),
        };
        if (samples.Width != d.Columns || samples.Height != d.Rows)
            throw new InvalidDataException(
                $"{path}: the compressed frame is {samples.Width} × {samples.Height}, the DICOM says {d.Columns} × {d.Rows}."
            );
        if (samples.Components != d.SamplesPerPixel)
            throw new InvalidDataException(
                $"{path}: the compressed frame has {samples.Components} component(s), the DICOM says {d.SamplesPerPixel} "
                    + "sample(s) per pixel."
            );
        if (palette)
            return (Palette(d, samples.Planes[0], path), d.Columns, d.Rows);
        if (d.IsColour)
            return (Colour(d, samples, path), d.Columns, d.Rows);
        int bits = d.BitsStored > 0 ? Math.Min(d.BitsStored, samples.Precision) : samples.Precision;
        var stored = Mask(samples.Planes[0], bits, d.PixelRepresentation == 1);
        return (Display(d, stored, bits, path), d.Columns, d.Rows);
    }

    // An 8-bit JPEG frame (baseline, or extended at 8 bits) through the library's JPEG path, its colour transform fixed
    // by the DICOM's photometric interpretation; a palette's indices are looked up; a gray frame is windowed if the file
    // says how.
    private static (byte[] Pixels, int Width, int Height) DecodeJpeg8(
        string path,
        DicomDataset d,
        byte[] frame,
        Func<byte[], (byte[] Pixels, int Width, int Height)> decodeJpeg
    )
    {
        var photometric = d.PhotometricInterpretation;
        var colour = photometric switch
        {
            "RGB" => JpegColour.Rgb,
            "YBR_FULL" or "YBR_FULL_422" or "YBR_PARTIAL_422" or "YBR_PARTIAL_420" => JpegColour.YCbCr,
            _ => JpegColour.AsStream,
        };
        var (gray, width, height) = decodeJpeg(JpegColourMarker.Apply(frame, colour));
        if (width != d.Columns || height != d.Rows)
            throw new InvalidDataException($"{path}: the JPEG frame is {width} × {height}, the DICOM says {d.Columns} × {d.Rows}.");
        if (photometric == "PALETTE COLOR")
            return (Palette(d, Array.ConvertAll(gray, v => (int)v), path), width, height);
        if (d.IsColour)
            return (gray, width, height); // luma already
        var values = Array.ConvertAll(gray, v => (int)v);
        return (Display(d, values, bitsStored: 8, path), width, height);
    }

    // The sample precision in a JPEG frame's SOF header (8 or 12 for processes 1, 2 and 4).
    private static int JpegPrecision(byte[] jpeg)
    {
        int at = 2;
        while (at + 4 < jpeg.Length && jpeg[at] == 0xFF)
        {
            byte marker = jpeg[at + 1];
            if (marker == 0xFF)
            {
                at++;
                continue;
            }
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return jpeg[at + 4];
            at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
        }
        return 8; // no frame header found: the JPEG path names what is wrong
    }

    /// <summary>One frame's samples, one plane per component, and their precision.</summary>
    private sealed record Samples(int[][] Planes, int Width, int Height, int Precision)
    {
        public int Components => Planes.Length;

        public static Samples FromImage(DecodedSamples image) => new(image.Planes, image.Width, image.Height, image.Precision);

        // A native frame (or an RLE frame laid out as native data) as planes of stored values: Bits Allocated 1, 8, 16 or
        // 32, the components interleaved or planar; the stored bits shifted down from High Bit (PS3.5 8.1.1).
        public static Samples FromNative(DicomDataset d, byte[] data, int frameIndex, string path, bool planar = false)
        {
            int allocated = d.BitsAllocated;
            if (allocated is not (1 or 8 or 16 or 32))
                throw new InvalidDataException($"{path}: DICOM Bits Allocated {allocated}; 1, 8, 16 and 32 are read.");
            int bits = d.BitsStored > 0 ? d.BitsStored : allocated;
            if (bits > allocated)
                throw new InvalidDataException($"{path}: DICOM Bits Stored {bits} with Bits Allocated {allocated} is not valid.");
            int components = d.SamplesPerPixel;
            long pixels = (long)d.Rows * d.Columns;
            bool ybr422 = d.PhotometricInterpretation == "YBR_FULL_422";
            // YBR_FULL_422 native: two luma samples share one Cb and one Cr (Y Y Cb Cr per pair of pixels, 8 bits).
            long samplesPerFrame = ybr422 ? pixels * 2 : pixels * components;
            long firstBit = frameIndex * samplesPerFrame * allocated;
            long neededBits = firstBit + samplesPerFrame * allocated;
            if (data.LongLength * 8 < neededBits)
                throw new InvalidDataException(
                    $"{path}: truncated: the pixel data holds {data.LongLength:N0} bytes, frame {frameIndex + 1} of "
                        + $"{d.Columns} × {d.Rows} × "
                        + $"{components} at {allocated} bits needs {(neededBits + 7) / 8:N0}."
                );
            int shift = d.HighBit >= 0 && allocated > 1 ? Math.Max(0, d.HighBit + 1 - bits) : 0;
            var planes = new int[components][];
            for (int c = 0; c < components; c++)
                planes[c] = new int[pixels];
            long first = firstBit / Math.Max(1, allocated);
            for (long p = 0; p < pixels; p++)
            {
                for (int c = 0; c < components; c++)
                {
                    long s;
                    if (ybr422)
                        s = first + (p / 2) * 4 + (c == 0 ? p % 2 : 1 + c);
                    else
                        s = first + ((planar || d.PlanarConfiguration == 1) && components > 1 ? c * pixels + p : p * components + c);
                    planes[c][p] =
                        allocated switch
                        {
                            1 => (data[(frameIndex * samplesPerFrame + p) >> 3] >> (int)((frameIndex * samplesPerFrame + p) & 7)) & 1,
                            8 => data[s],
                            16 => data[2 * s] | (data[2 * s + 1] << 8),
                            _ => (int)(uint)(data[4 * s] | (data[4 * s + 1] << 8) | (data[4 * s + 2] << 16) | (data[4 * s + 3] << 24)),
                        } >> shift;
                }
            }
            return new Samples(planes, d.Columns, d.Rows, bits);
        }
    }

    // Stored values masked to their bits and sign-extended within them (two's complement), in place (the planes are the
    // decode's own). 32-bit values keep the 32 bits as read (an int; Display reads unsigned ones back as unsigned).
    private static int[] Mask(int[] samples, int bits, bool signed)
    {
        if (bits >= 32)
            return samples;
        int mask = (int)((1L << bits) - 1);
        for (long i = 0; i < samples.LongLength; i++)
        {
            int v = samples[i] & mask;
            if (signed && (v & (1 << (bits - 1))) != 0)
                v -= 1 << bits;
            samples[i] = v;
        }
        return samples;
    }

    // Colour to luma: each pixel's R, G, B at 8 bits, from RGB, or from YBR_FULL / YBR_FULL_422 through the JFIF
    // transform as libjpeg computes it (jdcolor.c), then ITU-R 601 luma as Pillow's convert('L'). A compressed colour
    // frame (JPEG-LS, JPEG 2000, lossless JPEG) holds RGB after its codec's own inverse transform unless the DICOM
    // says YBR_FULL.
    private static byte[] Colour(DicomDataset d, Samples samples, string path)
    {
        var photometric = d.PhotometricInterpretation;
        bool ybr = photometric is "YBR_FULL" or "YBR_FULL_422";
        if (!ybr && photometric is not ("RGB" or "YBR_ICT" or "YBR_RCT"))
            throw new InvalidDataException(
                $"{path}: DICOM photometric interpretation '{photometric}' is not read; RGB, YBR_FULL, YBR_FULL_422 and PALETTE COLOR are."
            );
        int shift = Math.Max(0, samples.Precision - 8);
        var output = new byte[(long)samples.Width * samples.Height];
        int[] r = samples.Planes[0],
            g = samples.Planes[1],
            b = samples.Planes[2];
        for (long i = 0; i < output.LongLength; i++)
        {
            // Unsigned shifts: 32-bit samples past 2^31 are held as negative ints.
            int c0 = (int)Math.Min((uint)r[i] >> shift, 255),
                c1 = (int)Math.Min((uint)g[i] >> shift, 255),
                c2 = (int)Math.Min((uint)b[i] >> shift, 255);
            output[i] = ybr ? ColourToLuma.FromYCbCr(c0, c1, c2) : ColourToLuma.FromRgb(c0, c1, c2);
        }
        return output;
    }

    // PALETTE COLOR: each stored index through the red, green and blue tables (entries scaled to 8 bits), then luma.
    private static byte[] Palette(DicomDataset d, int[] indices, string path)
    {
        if (d.SegmentedPalette)
            throw new InvalidDataException($"{path}: a segmented palette colour table (C.7.9) is not read.");
        var tables = new byte[3][];
        int first = 0;
        for (int c = 0; c < 3; c++)
        {
            if (d.Palette[c] is not { Data: { } data } lut)
                throw new InvalidDataException($"{path}: PALETTE COLOR without its {"RGB"[c]} palette colour lookup table.");
            int entries = lut.Entries == 0 ? 65536 : lut.Entries;
            var values = data;
            // Eight-bit entries may come two to a 16-bit word (the low byte first).
            if (lut.Bits == 8 && data.Length < entries && data.Length * 2 >= entries)
                values = Enumerable.Range(0, entries).Select(i => (ushort)((data[i / 2] >> (8 * (i % 2))) & 0xFF)).ToArray();
            if (values.Length < entries)
                throw new InvalidDataException($"{path}: the {"RGB"[c]} palette declares {entries} entries and holds {values.Length}.");
            int bits = Math.Clamp(lut.Bits, 8, 16);
            // Tables that say 16 bits but hold 8-bit values (some writers) are taken as they are.
            if (bits == 16 && values.Take(entries).All(v => v < 256))
                bits = 8;
            tables[c] = values.Take(entries).Select(v => (byte)(v >> (bits - 8))).ToArray();
            first = lut.FirstMapped;
        }
        var output = new byte[indices.LongLength];
        int last = tables[0].Length - 1;
        for (long i = 0; i < output.LongLength; i++)
        {
            int at = Math.Clamp(indices[i] - first, 0, last);
            output[i] = ColourToLuma.FromRgb(tables[0][at], tables[1][at], tables[2][at]);
        }
        return output;
    }

    private static byte[] Display(DicomDataset d, int[] stored, int bitsStored, string path)
    {
        var output = new byte[stored.LongLength];
        bool invert = d.PhotometricInterpretation == "MONOCHROME1";
        double slope = d.RescaleSlope,
            intercept = d.RescaleIntercept;
        // 32-bit unsigned values past 2^31 are held as negative ints: read them back as unsigned.
        bool unsigned32 = bitsStored >= 32 && d.PixelRepresentation == 0;
        double Modality(int v) => (unsigned32 ? (uint)v : v) * slope + intercept;
        if (d.VoiLut is { } lut)
        {
            // A VOI LUT applies to the modality output; its entries are scaled from its own bit depth to 8 bits.
            double top = (1 << Math.Clamp(lut.Bits, 1, 16)) - 1;
            for (long i = 0; i < stored.LongLength; i++)
            {
                double x = Modality(stored[i]);
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
                double x = Modality(stored[i]);
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
        bool identity = bitsStored == 8 && slope == 1 && intercept == 0 && d.PixelRepresentation == 0;
        double min = double.MaxValue,
            max = double.MinValue;
        if (!identity)
            foreach (var v in stored)
            {
                double x = Modality(v);
                min = Math.Min(min, x);
                max = Math.Max(max, x);
            }
        for (long i = 0; i < stored.LongLength; i++)
        {
            double x = Modality(stored[i]);
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
