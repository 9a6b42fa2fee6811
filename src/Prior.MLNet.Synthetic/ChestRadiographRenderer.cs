using Prior.MLNet.Data;

namespace Prior.MLNet.Synthetic;

/// <summary>The projection of a synthetic radiograph.</summary>
internal enum SyntheticView
{
    /// <summary>Postero-anterior frontal.</summary>
    PA,

    /// <summary>Antero-posterior frontal (portable).</summary>
    AP,

    /// <summary>Lateral.</summary>
    Lateral,
}

/// <summary>
/// Draws a chest-like grayscale radiograph for a <see cref="SyntheticCase"/>: body, lung fields with vessel
/// markings, ribs, clavicles, spine and mediastinum, heart, hemidiaphragms and noise, with patient-specific
/// anatomy, then each finding as a localised signature whose place and size follow the case (and so the report).
/// Frontal images follow the radiographic convention: the patient's right is on the image's left.
/// </summary>
internal static class ChestRadiographRenderer
{
    private readonly record struct Anatomy(
        double Shift,
        double ThoraxWidth,
        double LungTop,
        double LungBottomRight,
        double LungBottomLeft,
        double LungHalfWidth,
        double HeartY,
        double CardiothoracicRatio,
        double Contrast,
        double RibPhase
    );

    /// <summary>Renders the case as 8-bit gray pixels, row-major, <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <param name="synthetic">The study's content.</param>
    /// <param name="view">The projection.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="random">Noise and per-image variation (the same case looks slightly different per image).</param>
    public static byte[] Render(SyntheticCase synthetic, SyntheticView view, int width, int height, DeterministicRandom random) =>
        RenderCore(synthetic, view, width, height, random).Pixels;

    /// <summary>
    /// Renders as <see cref="Render"/> (the same pixels for the same random state) and says where the drawn findings
    /// are: the pneumothorax's air rim as a mask and each consolidation's bounding box, in this image's pixels. Lateral
    /// views have neither.
    /// </summary>
    public static (byte[] Pixels, RenderedRegions Regions) RenderWithRegions(
        SyntheticCase synthetic,
        SyntheticView view,
        int width,
        int height,
        DeterministicRandom random
    )
    {
        var (pixels, anatomy) = RenderCore(synthetic, view, width, height, random);
        return (pixels, Regions(synthetic, view, anatomy, width, height));
    }

    private static (byte[] Pixels, Anatomy Anatomy) RenderCore(
        SyntheticCase synthetic,
        SyntheticView view,
        int width,
        int height,
        DeterministicRandom random
    )
    {
        ArgumentNullException.ThrowIfNull(synthetic);
        var a = synthetic.Anatomy;
        var heart = synthetic.Find(FindingKind.Cardiomegaly);
        double ctr =
            heart is null ? 0.38 + 0.07 * a[7]
            : heart.Uncertain ? 0.49 + 0.03 * heart.Severity / 0.3
            : 0.56 + 0.12 * heart.Severity;
        var anatomy = new Anatomy(
            Shift: (a[0] - 0.5) * 0.04 + (random.NextDouble() - 0.5) * 0.015,
            ThoraxWidth: 0.8 + 0.08 * a[1],
            LungTop: 0.15 + 0.04 * a[2],
            LungBottomRight: 0.64 + 0.05 * a[3],
            LungBottomLeft: 0.67 + 0.05 * a[3],
            LungHalfWidth: 0.145 + 0.025 * a[4],
            HeartY: 0.56 + 0.03 * a[5],
            CardiothoracicRatio: ctr,
            Contrast: 0.9 + 0.2 * a[6],
            RibPhase: a[8]
        );

        var canvas = new GrayCanvas(width, height, 0.03f);
        if (view == SyntheticView.Lateral)
            DrawLateral(canvas, synthetic, anatomy);
        else
            DrawFrontal(canvas, synthetic, anatomy, view);

        // Quantum noise and a little exposure variation.
        float gain = (float)anatomy.Contrast;
        var pixels = canvas.Pixels;
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = pixels[i] * gain + (float)(random.NextGaussian() * 0.018);
        return (canvas.ToBytes(), anatomy);
    }

    // A pixel is in the pneumothorax where the air rim's region is at least half; a consolidation's box bounds the
    // pixels where its blobs add at least a quarter of one blob's peak opacity inside the lung.
    private static RenderedRegions Regions(SyntheticCase synthetic, SyntheticView view, Anatomy an, int width, int height)
    {
        var mask = new byte[width * height];
        var boxes = new List<PixelBox>();
        if (view == SyntheticView.Lateral)
            return new RenderedRegions(mask, boxes);
        var pneumothorax = synthetic.Find(FindingKind.Pneumothorax);
        foreach (var finding in synthetic.Findings.Where(f => f.Kind == FindingKind.Consolidation))
        {
            var blobs = ConsolidationBlobs(an, finding).ToList();
            int x0 = width,
                y0 = height,
                x1 = -1,
                y1 = -1;
            for (int py = 0; py < height; py++)
            for (int px = 0; px < width; px++)
            {
                double x = (px + 0.5) / width,
                    y = (py + 0.5) / height;
                double sum = blobs.Sum(b => Math.Exp(-0.5 * (Math.Pow((x - b.X) / b.Sx, 2) + Math.Pow((y - b.Y) / b.Sy, 2))));
                if (sum * InLung(an, finding.Side, x, y) < 0.25)
                    continue;
                x0 = Math.Min(x0, px);
                y0 = Math.Min(y0, py);
                x1 = Math.Max(x1, px);
                y1 = Math.Max(y1, py);
            }
            if (x1 >= 0)
                boxes.Add(new PixelBox(x0, y0, x1 - x0 + 1, y1 - y0 + 1));
        }
        if (pneumothorax is not null)
            for (int py = 0; py < height; py++)
            for (int px = 0; px < width; px++)
                if (PneumothoraxRegion(an, pneumothorax, (px + 0.5) / width, (py + 0.5) / height) >= 0.5)
                    mask[py * width + px] = 1;
        return new RenderedRegions(mask, boxes);
    }

    // The seven Gaussian blobs a consolidation is drawn with: centre and spread (fractions of the image).
    private static IEnumerable<(double X, double Y, double Sx, double Sy)> ConsolidationBlobs(Anatomy an, SyntheticFinding f)
    {
        var j = f.Jitter;
        double lx = LungCenterX(an, f.Side) + (j[0] - 0.5) * 0.05,
            y = ZoneY(an, f.Zone, f.Side);
        for (int k = 0; k < 7; k++)
            yield return (
                lx + (j[(k + 1) % 8] - 0.5) * 0.09,
                y + (j[(k + 3) % 8] - 0.5) * 0.07,
                0.025 + 0.01 * f.Severity,
                0.022 + 0.01 * f.Severity
            );
    }

    private static double LungCenterX(Anatomy an, BodySide side) =>
        0.5 + an.Shift + (side == BodySide.Right ? -1 : 1) * (an.LungHalfWidth + 0.055) * an.ThoraxWidth / 0.84;

    private static double LungBottom(Anatomy an, BodySide side) => side == BodySide.Right ? an.LungBottomRight : an.LungBottomLeft;

    private static double ZoneY(Anatomy an, LungZone zone, BodySide side)
    {
        double top = an.LungTop,
            bottom = LungBottom(an, side);
        return zone switch
        {
            LungZone.Upper => top + 0.22 * (bottom - top),
            LungZone.Middle => top + 0.5 * (bottom - top),
            _ => top + 0.78 * (bottom - top),
        };
    }

    private static double InLung(Anatomy an, BodySide side, double x, double y)
    {
        double cx = LungCenterX(an, side),
            top = an.LungTop,
            bottom = LungBottom(an, side);
        double cy = (top + bottom) / 2,
            ry = (bottom - top) / 2;
        return GrayCanvas.Ellipse(x, y, cx, cy, an.LungHalfWidth, ry, 0.06);
    }

    private static IEnumerable<BodySide> Sides(BodySide side) => side == BodySide.Bilateral ? [BodySide.Right, BodySide.Left] : [side];

    private static void DrawFrontal(GrayCanvas canvas, SyntheticCase synthetic, Anatomy an, SyntheticView view)
    {
        double cx = 0.5 + an.Shift;
        // Soft tissue of the trunk and shoulders.
        canvas.BlendEllipse(cx, 0.6, 0.47 * an.ThoraxWidth / 0.84, 0.62, 0.4f, soft: 0.1);
        canvas.BlendEllipse(cx, 0.08, 0.5, 0.12, 0.36f, soft: 0.3);

        // Lung fields: dark, air-filled.
        foreach (var side in new[] { BodySide.Right, BodySide.Left })
        {
            double lx = LungCenterX(an, side),
                top = an.LungTop,
                bottom = LungBottom(an, side);
            canvas.BlendEllipse(lx, (top + bottom) / 2, an.LungHalfWidth, (bottom - top) / 2, 0.12f, soft: 0.12);
        }

        var pneumothorax = synthetic.Find(FindingKind.Pneumothorax);
        double PneumothoraxMask(double x, double y)
        {
            if (pneumothorax is null)
                return 0;
            return PneumothoraxRegion(an, pneumothorax, x, y);
        }

        // Vessel markings radiate from each hilum; none in a pneumothorax.
        foreach (var side in new[] { BodySide.Right, BodySide.Left })
        {
            double hx = cx + (side == BodySide.Right ? -0.08 : 0.08),
                hy = 0.45;
            for (int k = 0; k < 10; k++)
            {
                double angle = Math.PI * (0.15 + 0.7 * (k + 0.5 * synthetic.Anatomy[9]) / 10.0);
                double dir = side == BodySide.Right ? -1 : 1;
                double len = 0.12 + 0.04 * ((k * 7919 % 10) / 10.0);
                double ex = hx + dir * Math.Sin(angle) * len,
                    ey = hy - Math.Cos(angle) * len * 1.3;
                var s = side;
                canvas.AddSegment(hx, hy, ex, ey, 0.006, 0.06, (x, y) => InLung(an, s, x, y) * (1 - PneumothoraxMask(x, y)));
            }
        }

        // Ribs: posterior arcs across each hemithorax.
        for (int k = 0; k < 9; k++)
        {
            foreach (var side in new[] { BodySide.Right, BodySide.Left })
            {
                double dir = side == BodySide.Right ? -1 : 1;
                double y0 = an.LungTop - 0.02 + k * 0.058 + 0.01 * an.RibPhase;
                var points = new List<(double, double)>();
                for (int t = 0; t <= 6; t++)
                {
                    double u = t / 6.0;
                    points.Add((cx + dir * (0.04 + u * 0.33 * an.ThoraxWidth / 0.84), y0 + 0.06 * u * u - 0.02 * u));
                }
                canvas.AddPolyline(points, 0.011, 0.07);
            }
        }

        // Clavicles.
        canvas.AddSegment(cx - 0.05, 0.19, cx - 0.3, 0.12, 0.02, 0.16);
        canvas.AddSegment(cx + 0.05, 0.19, cx + 0.3, 0.12, 0.02, 0.16);

        // Spine and mediastinum.
        canvas.Apply(cx - 0.08, 0, cx + 0.08, 1, (x, y, p) =>
        {
            double m = Math.Clamp((0.055 - Math.Abs(x - cx)) / 0.02 + 0.5, 0, 1);
            return (float)Math.Max(p, p + (0.5 - p) * m);
        });

        // Hemidiaphragms: domes with the abdomen below; the right sits higher.
        foreach (var side in new[] { BodySide.Right, BodySide.Left })
        {
            double lx = LungCenterX(an, side),
                bottom = LungBottom(an, side);
            canvas.Apply(lx - 0.25, bottom - 0.1, lx + 0.25, 1, (x, y, p) =>
            {
                double u = (x - lx) / (an.LungHalfWidth * 1.4);
                double dome = bottom - 0.06 * Math.Max(0, 1 - u * u);
                double m = Math.Clamp((y - dome) / 0.012 + 0.5, 0, 1) * Math.Clamp(1.2 - Math.Abs(u) * 0.6, 0, 1);
                return (float)(p + (0.48 - p) * m);
            });
        }

        // Heart (over the domes, as its silhouette is): width follows the cardiothoracic ratio, bulging to the patient's left (image
        // right).
        double thorax = 2 * (an.LungHalfWidth + 0.055) * an.ThoraxWidth / 0.84 + 2 * an.LungHalfWidth;
        double heartRx = an.CardiothoracicRatio * thorax / 2;
        canvas.BlendEllipse(cx + 0.25 * heartRx, an.HeartY, heartRx, 0.11 + 0.02 * synthetic.Anatomy[10], 0.54f, soft: 0.1);

        foreach (var finding in synthetic.Findings)
            DrawFinding(canvas, an, finding, view);
    }

    private static double PneumothoraxRegion(Anatomy an, SyntheticFinding f, double x, double y)
    {
        // The collapsed lung edge is an ellipse shrunk from the apex and lateral wall; the rim outside it is air.
        double lx = LungCenterX(an, f.Side),
            top = an.LungTop,
            bottom = LungBottom(an, f.Side);
        double rim = (f.Uncertain ? 0.012 : 0.02 + 0.05 * f.Severity);
        double dir = f.Side == BodySide.Right ? -1 : 1;
        double outer = GrayCanvas.Ellipse(x, y, lx, (top + bottom) / 2, an.LungHalfWidth, (bottom - top) / 2, 0.03);
        double inner = GrayCanvas.Ellipse(
            x,
            y,
            lx - dir * rim * 0.6,
            (top + bottom) / 2 + rim,
            an.LungHalfWidth - rim,
            (bottom - top) / 2 - rim,
            0.03
        );
        double upper = Math.Clamp((top + 0.75 * (bottom - top) - y) / 0.05, 0, 1);
        return Math.Clamp(outer - inner, 0, 1) * upper;
    }

    private static void DrawFinding(GrayCanvas canvas, Anatomy an, SyntheticFinding f, SyntheticView view)
    {
        double strength = f.Uncertain ? 0.45 : 1.0;
        var j = f.Jitter;
        switch (f.Kind)
        {
            case FindingKind.Cardiomegaly:
                break; // drawn through the cardiothoracic ratio

            case FindingKind.PleuralEffusion:
                foreach (var side in Sides(f.Side))
                {
                    double lx = LungCenterX(an, side),
                        bottom = LungBottom(an, side);
                    double height = f.Uncertain ? 0.03 + 0.02 * j[0] : 0.05 + 0.17 * f.Severity;
                    double dir = side == BodySide.Right ? -1 : 1;
                    canvas.Apply(
                        lx - an.LungHalfWidth * 1.3,
                        bottom - height - 0.1,
                        lx + an.LungHalfWidth * 1.3,
                        bottom + 0.06,
                        (x, y, p) =>
                        {
                            // Meniscus: the fluid climbs the lateral chest wall.
                            double lateral = Math.Clamp(dir * (x - lx) / an.LungHalfWidth, -1, 1);
                            double surface = bottom - height - 0.05 * Math.Max(0, lateral) * (0.5 + f.Severity);
                            double m = Math.Clamp((y - surface) / 0.02, 0, 1) * InLung(an, side, x, y - 0.02) * strength;
                            return (float)(p + (0.5 - p) * m);
                        }
                    );
                }
                break;

            case FindingKind.Atelectasis:
                foreach (var side in Sides(f.Side))
                {
                    double lx = LungCenterX(an, side) + (j[0] - 0.5) * 0.05,
                        y = ZoneY(an, f.Zone, side) + (j[1] - 0.5) * 0.04;
                    double half = 0.055 + 0.035 * f.Severity,
                        angle = (j[2] - 0.5) * 0.5;
                    var s = side;
                    canvas.AddSegment(
                        lx - half * Math.Cos(angle),
                        y - half * Math.Sin(angle),
                        lx + half * Math.Cos(angle),
                        y + half * Math.Sin(angle),
                        0.014 + 0.01 * f.Severity,
                        0.3 * strength,
                        (x, yy) => InLung(an, s, x, yy)
                    );
                }
                break;

            case FindingKind.Consolidation:
                foreach (var (bx, by, sx, sy) in ConsolidationBlobs(an, f))
                    canvas.AddGaussian(bx, by, sx, sy, (0.17 + 0.1 * f.Severity) * strength, (x, yy) => InLung(an, f.Side, x, yy));
                break;

            case FindingKind.Edema:
                foreach (var side in new[] { BodySide.Right, BodySide.Left })
                {
                    double dir = side == BodySide.Right ? -1 : 1;
                    double hx = 0.5 + an.Shift + dir * 0.12,
                        hy = 0.46;
                    var s = side;
                    canvas.AddGaussian(hx, hy, 0.08, 0.11, (0.13 + 0.12 * f.Severity) * strength, (x, y) => InLung(an, s, x, y));
                    // Kerley B lines: short horizontal lines at the lateral bases.
                    double lx = LungCenterX(an, side) + dir * an.LungHalfWidth * 0.7;
                    for (int k = 0; k < 3; k++)
                    {
                        double y = LungBottom(an, side) - 0.06 - 0.025 * k;
                        canvas.AddSegment(lx - dir * 0.03, y, lx, y, 0.004, 0.1 * strength, (x, yy) => InLung(an, s, x, yy));
                    }
                }
                break;

            case FindingKind.Pneumothorax:
            {
                canvas.Apply(0, 0, 1, 1, (x, y, p) =>
                {
                    double m = PneumothoraxRegion(an, f, x, y);
                    return m <= 0 ? p : (float)(p + (0.04 - p) * m * strength);
                });
                // The visceral pleural line at the collapsed lung edge.
                double lx = LungCenterX(an, f.Side),
                    top = an.LungTop,
                    bottom = LungBottom(an, f.Side);
                double rim = f.Uncertain ? 0.012 : 0.02 + 0.05 * f.Severity;
                double dir = f.Side == BodySide.Right ? -1 : 1;
                double icx = lx - dir * rim * 0.6,
                    icy = (top + bottom) / 2 + rim;
                double irx = an.LungHalfWidth - rim,
                    iry = (bottom - top) / 2 - rim;
                var points = new List<(double, double)>();
                for (int t = 0; t <= 12; t++)
                {
                    double angle = Math.PI * (1.0 + t / 12.0 * 0.75) * 1;
                    double ax = dir > 0 ? -Math.Cos(angle) : Math.Cos(angle);
                    points.Add((icx + dir * Math.Abs(ax) * irx * (t < 3 ? 0.3 + t * 0.25 : 1), icy + Math.Sin(angle) * iry));
                }
                canvas.AddPolyline(points, 0.004, 0.16 * strength);
                break;
            }

            case FindingKind.SupportDevices:
            {
                double cx = 0.5 + an.Shift;
                if (f.Devices.HasFlag(DeviceKinds.EndotrachealTube))
                    canvas.AddSegment(cx, 0.0, cx, 0.27 + 0.04 * j[0], 0.012, 0.95, max: true);
                if (f.Devices.HasFlag(DeviceKinds.NasogastricTube))
                    canvas.AddPolyline(
                        [(cx + 0.01, 0.0), (cx + 0.01, 0.5), (cx + 0.06, 0.72), (cx + 0.13 + 0.03 * j[1], 0.8)],
                        0.007,
                        0.92,
                        max: true
                    );
                if (f.Devices.HasFlag(DeviceKinds.CentralLine))
                    canvas.AddPolyline(
                        [(cx - 0.28, 0.06), (cx - 0.13, 0.17), (cx - 0.05, 0.24), (cx - 0.03, 0.32 + 0.04 * j[2])],
                        0.007,
                        0.9,
                        max: true
                    );
                if (view == SyntheticView.AP)
                {
                    // ECG leads on portable films.
                    canvas.BlendEllipse(cx - 0.3, 0.3 + 0.05 * j[3], 0.015, 0.015, 0.9f, soft: 0.3);
                    canvas.BlendEllipse(cx + 0.3, 0.3 + 0.05 * j[4], 0.015, 0.015, 0.9f, soft: 0.3);
                }
                break;
            }

            case FindingKind.LungLesion:
            {
                double lx = LungCenterX(an, f.Side) + (j[0] - 0.5) * 0.08,
                    y = ZoneY(an, f.Zone, f.Side) + (j[1] - 0.5) * 0.04;
                double r = 0.018 + 0.014 * f.Severity;
                canvas.Apply(lx - r * 2, y - r * 2, lx + r * 2, y + r * 2, (x, yy, p) =>
                    (float)(p + 0.3 * strength * GrayCanvas.Ellipse(x, yy, lx, y, r, r, 0.25))
                );
                break;
            }
        }
    }

    private static void DrawLateral(GrayCanvas canvas, SyntheticCase synthetic, Anatomy an)
    {
        // A side view: anterior to the image's left, the spine posterior on the right.
        canvas.BlendEllipse(0.5, 0.58, 0.4, 0.6, 0.4f, soft: 0.1);
        canvas.BlendEllipse(0.5, 0.45, 0.27, 0.3, 0.13f, soft: 0.12);
        canvas.Apply(0.72, 0, 0.86, 1, (x, y, p) =>
        {
            double m = Math.Clamp((0.05 - Math.Abs(x - 0.79)) / 0.02 + 0.5, 0, 1);
            return (float)Math.Max(p, p + (0.52 - p) * m);
        });
        for (int k = 0; k < 9; k++)
            canvas.AddSegment(0.74, 0.12 + k * 0.075, 0.84, 0.12 + k * 0.075, 0.02, 0.08);
        double heartRx = 0.12 + 0.2 * (an.CardiothoracicRatio - 0.38);
        canvas.BlendEllipse(0.38, an.HeartY, heartRx, 0.14, 0.52f, soft: 0.12);
        canvas.Apply(0, 0.68, 1, 1, (x, y, p) => (float)(p + (0.47 - p) * Math.Clamp((y - 0.7 - 0.05 * (x - 0.5)) / 0.015, 0, 1)));
        if (synthetic.Find(FindingKind.PleuralEffusion) is { Uncertain: false } effusion)
        {
            double height = 0.04 + 0.12 * effusion.Severity;
            canvas.Apply(0.5, 0.5, 0.85, 0.8, (x, y, p) =>
                (float)(p + (0.48 - p) * Math.Clamp((y - (0.72 - height + 0.1 * (0.75 - x))) / 0.02, 0, 1))
            );
        }
        if (synthetic.Find(FindingKind.SupportDevices) is { } devices && devices.Devices.HasFlag(DeviceKinds.EndotrachealTube))
            canvas.AddSegment(0.45, 0.0, 0.5, 0.3, 0.012, 0.95, max: true);
    }
}

/// <summary>A box in an image's pixels: left, top, width, height.</summary>
internal readonly record struct PixelBox(int X, int Y, int Width, int Height);

/// <summary>Where a rendered synthetic image shows its findings (<see cref="ChestRadiographRenderer.RenderWithRegions"/>).</summary>
/// <param name="PneumothoraxMask">Row-major, 1 where the pneumothorax's air rim is.</param>
/// <param name="ConsolidationBoxes">One box per consolidation.</param>
internal sealed record RenderedRegions(byte[] PneumothoraxMask, IReadOnlyList<PixelBox> ConsolidationBoxes);
