namespace Prior.MLNet.Synthetic;

/// <summary>
/// A grayscale float canvas with the few soft-edged primitives the radiograph renderer needs. Coordinates are
/// fractions of the width and height, so a picture looks the same at every resolution.
/// </summary>
internal sealed class GrayCanvas
{
    public GrayCanvas(int width, int height, float fill)
    {
        Width = width;
        Height = height;
        Pixels = new float[width * height];
        Array.Fill(Pixels, fill);
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Pixels { get; }

    /// <summary>Applies <paramref name="shade"/> to every pixel of a bounding box; it gets (x, y) as fractions.</summary>
    public void Apply(double x0, double y0, double x1, double y1, Func<double, double, float, float> shade)
    {
        int px0 = Math.Clamp((int)Math.Floor(x0 * Width), 0, Width),
            px1 = Math.Clamp((int)Math.Ceiling(x1 * Width), 0, Width);
        int py0 = Math.Clamp((int)Math.Floor(y0 * Height), 0, Height),
            py1 = Math.Clamp((int)Math.Ceiling(y1 * Height), 0, Height);
        for (int py = py0; py < py1; py++)
        {
            double y = (py + 0.5) / Height;
            int row = py * Width;
            for (int px = px0; px < px1; px++)
            {
                double x = (px + 0.5) / Width;
                Pixels[row + px] = shade(x, y, Pixels[row + px]);
            }
        }
    }

    /// <summary>Soft ellipse membership: 1 inside, 0 outside, a linear ramp of width <paramref name="soft"/>.</summary>
    public static double Ellipse(double x, double y, double cx, double cy, double rx, double ry, double soft)
    {
        double d = Math.Sqrt(Sq((x - cx) / rx) + Sq((y - cy) / ry));
        return Math.Clamp((1 - d) / soft + 0.5, 0, 1);
    }

    /// <summary>Blends an ellipse toward <paramref name="value"/> with opacity <paramref name="alpha"/>.</summary>
    public void BlendEllipse(double cx, double cy, double rx, double ry, float value, double alpha = 1, double soft = 0.08) =>
        Apply(cx - rx * 1.1, cy - ry * 1.1, cx + rx * 1.1, cy + ry * 1.1, (x, y, p) =>
        {
            double m = Ellipse(x, y, cx, cy, rx, ry, soft) * alpha;
            return (float)(p + (value - p) * m);
        });

    /// <summary>Adds a Gaussian bump.</summary>
    public void AddGaussian(double cx, double cy, double sx, double sy, double amplitude, Func<double, double, double>? mask = null) =>
        Apply(cx - 3 * sx, cy - 3 * sy, cx + 3 * sx, cy + 3 * sy, (x, y, p) =>
        {
            double g = amplitude * Math.Exp(-0.5 * (Sq((x - cx) / sx) + Sq((y - cy) / sy)));
            return (float)(p + g * (mask?.Invoke(x, y) ?? 1));
        });

    /// <summary>Adds a soft line segment of the given width (as a fraction of the height).</summary>
    public void AddSegment(
        double x0,
        double y0,
        double x1,
        double y1,
        double width,
        double amplitude,
        Func<double, double, double>? mask = null,
        bool max = false
    )
    {
        double ax = x0 * Width,
            ay = y0 * Height,
            bx = x1 * Width,
            by = y1 * Height;
        double w = Math.Max(width * Height, 0.75);
        double len2 = Sq(bx - ax) + Sq(by - ay);
        double pad = width * 2 + 0.01;
        Apply(Math.Min(x0, x1) - pad, Math.Min(y0, y1) - pad, Math.Max(x0, x1) + pad, Math.Max(y0, y1) + pad, (x, y, p) =>
        {
            double px = x * Width,
                py = y * Height;
            double t = len2 == 0 ? 0 : Math.Clamp(((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2, 0, 1);
            double d = Math.Sqrt(Sq(px - (ax + t * (bx - ax))) + Sq(py - (ay + t * (by - ay))));
            double m = Math.Clamp(w / 2 - d + 0.5, 0, 1) * (mask?.Invoke(x, y) ?? 1);
            if (m <= 0)
                return p;
            return max ? (float)Math.Max(p, p + (amplitude - p) * m) : (float)(p + amplitude * m);
        });
    }

    /// <summary>Adds a polyline through the given points.</summary>
    public void AddPolyline(IReadOnlyList<(double X, double Y)> points, double width, double amplitude, bool max = false)
    {
        for (int i = 0; i + 1 < points.Count; i++)
            AddSegment(points[i].X, points[i].Y, points[i + 1].X, points[i + 1].Y, width, amplitude, max: max);
    }

    /// <summary>Converts to 8-bit gray, clamping to [0, 1].</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Pixels.Length];
        for (int i = 0; i < Pixels.Length; i++)
            bytes[i] = (byte)Math.Round(Math.Clamp(Pixels[i], 0f, 1f) * 255f);
        return bytes;
    }

    private static double Sq(double v) => v * v;
}
