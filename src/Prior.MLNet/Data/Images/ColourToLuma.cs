namespace Prior.MLNet.Data.Images;

/// <summary>
/// The one rule by which every colour picture becomes the network's gray: ITU-R 601 luma
/// L = (19595 R + 38470 G + 7471 B + 2¹⁵) » 16, which is Pillow's <c>convert('L')</c>; and YCbCr (JFIF, DICOM YBR_FULL) to
/// R, G, B first exactly as libjpeg's <c>jdcolor.c</c> computes it (16-bit fixed point, rounded, clamped), so a colour
/// DICOM gives the pixels a colour JPEG of the same picture gives.
/// </summary>
internal static class ColourToLuma
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static int Fix(double x) => (int)(x * (1 << ScaleBits) + 0.5);

    /// <summary>Luma of an 8-bit R, G, B.</summary>
    public static byte FromRgb(int r, int g, int b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>Luma of an 8-bit Y, Cb, Cr, through R, G, B as libjpeg converts them.</summary>
    public static byte FromYCbCr(int y, int cb, int cr)
    {
        var (r, g, b) = ToRgb(y, cb, cr);
        return FromRgb(r, g, b);
    }

    /// <summary>JFIF YCbCr to RGB as libjpeg's decoder computes it.</summary>
    public static (int R, int G, int B) ToRgb(int y, int cb, int cr)
    {
        int x = cr - 128,
            z = cb - 128;
        int r = y + ((Fix(1.40200) * x + OneHalf) >> ScaleBits);
        int g = y + ((-Fix(0.34414) * z + OneHalf - Fix(0.71414) * x) >> ScaleBits);
        int b = y + ((Fix(1.77200) * z + OneHalf) >> ScaleBits);
        return (Math.Clamp(r, 0, 255), Math.Clamp(g, 0, 255), Math.Clamp(b, 0, 255));
    }
}
