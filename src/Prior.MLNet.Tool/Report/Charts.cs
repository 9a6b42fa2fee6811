using System.Globalization;
using Prior.MLNet.IO;
using SkiaSharp;

namespace Prior.MLNet.Tool.Report;

/// <summary>Small PNG charts for the demo report, drawn with SkiaSharp (no plotting dependency).</summary>
internal static class Charts
{
    private static readonly SKColor[] Palette =
    [
        new(0x1f, 0x77, 0xb4),
        new(0xff, 0x7f, 0x0e),
        new(0x2c, 0xa0, 0x2c),
        new(0xd6, 0x27, 0x28),
        new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b),
        new(0xe3, 0x77, 0xc2),
        new(0x7f, 0x7f, 0x7f),
    ];

    /// <summary>
    /// One panel per stage: every loss term against the step, the raw per-step values faint and a moving average over
    /// a twentieth of the stage (at least 5 steps) drawn over them; axes labelled, with ticks, and a legend.
    /// </summary>
    public static void LossCurves(
        string path,
        IReadOnlyList<(string Stage, IReadOnlyDictionary<string, IReadOnlyList<double>> Terms)> stages
    )
    {
        const int panelWidth = 460,
            height = 340,
            left = 58,
            right = 16,
            top = 34,
            bottom = 46;
        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * Math.Max(1, stages.Count), height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grey = new SKPaint { Color = SKColors.DimGray, IsAntialias = true };
        using var frame = new SKPaint
        {
            Color = SKColors.Gray,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 1,
        };
        using var grid = new SKPaint { Color = new SKColor(0xe6, 0xe6, 0xe6), StrokeWidth = 1 };
        for (int p = 0; p < stages.Count; p++)
        {
            var (stage, terms) = stages[p];
            float x0 = p * panelWidth + left,
                y0 = top,
                w = panelWidth - left - right,
                h = height - top - bottom;
            var all = terms.Values.SelectMany(v => v).Where(double.IsFinite).ToList();
            int steps = terms.Values.Select(v => v.Count).DefaultIfEmpty(0).Max();
            Label(canvas, $"{stage} ({steps} steps)", x0, y0 - 12, SKTextAlign.Left, text);
            if (all.Count == 0)
                continue;
            double min = all.Min(),
                max = all.Max(),
                span = Math.Max(max - min, 1e-9);
            min -= 0.03 * span;
            max += 0.03 * span;
            span = max - min;
            float X(int i) => x0 + w * i / Math.Max(1, steps - 1);
            float Y(double v) => y0 + h - (float)((v - min) / span) * h;

            // Axes: five ticks on each, the grid under the curves, the names of both.
            for (int t = 0; t <= 4; t++)
            {
                double value = min + span * t / 4;
                canvas.DrawLine(x0, Y(value), x0 + w, Y(value), grid);
                Label(
                    canvas,
                    value.ToString(Math.Abs(span) < 0.1 ? "0.000" : "0.00", System.Globalization.CultureInfo.InvariantCulture),
                    x0 - 4,
                    Y(value) + 4,
                    SKTextAlign.Right,
                    grey
                );
                int step = (int)Math.Round((steps - 1) * t / 4.0);
                Label(
                    canvas,
                    (step + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    X(step),
                    y0 + h + 14,
                    SKTextAlign.Center,
                    grey
                );
            }
            canvas.DrawRect(x0, y0, w, h, frame);
            Label(canvas, "training step in stage", x0 + w / 2, y0 + h + 32, SKTextAlign.Center, text);
            canvas.Save();
            canvas.RotateDegrees(-90, p * panelWidth + 14, y0 + h / 2);
            Label(canvas, "loss (unweighted term)", p * panelWidth + 14, y0 + h / 2, SKTextAlign.Center, text);
            canvas.Restore();

            int window = Math.Max(5, steps / 20),
                c = 0;
            float legendY = y0 + 14;
            foreach (var (name, values) in terms)
            {
                var colour = Palette[c++ % Palette.Length];
                using var raw = new SKPaint
                {
                    Color = colour.WithAlpha(55),
                    StrokeWidth = 1,
                    IsAntialias = true,
                    Style = SKPaintStyle.Stroke,
                };
                using var smooth = new SKPaint
                {
                    Color = colour,
                    StrokeWidth = 2,
                    IsAntialias = true,
                    Style = SKPaintStyle.Stroke,
                };
                canvas.DrawPath(Polyline(values, X, Y), raw);
                canvas.DrawPath(Polyline(Smooth(values, window), X, Y), smooth);
                canvas.DrawLine(x0 + w - 70, legendY - 4, x0 + w - 56, legendY - 4, smooth);
                Label(canvas, name, x0 + w - 52, legendY, SKTextAlign.Left, new SKPaint { Color = colour, IsAntialias = true });
                legendY += 14;
            }
            Label(canvas, $"faint: each step; bold: mean of {window}", x0 + 4, y0 + h - 6, SKTextAlign.Left, grey);
        }
        Save(surface, path);
    }

    private static SKPath Polyline(IReadOnlyList<double> values, Func<int, float> x, Func<double, float> y)
    {
        var path = new SKPath();
        bool started = false;
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                started = false;
                continue;
            }
            if (started)
                path.LineTo(x(i), y(values[i]));
            else
                path.MoveTo(x(i), y(values[i]));
            started = true;
        }
        return path;
    }

    /// <summary>
    /// A confusion matrix heat map with counts (rows: truth, columns: prediction), every class name in full: the
    /// columns are as wide as the longest name.
    /// </summary>
    public static void ConfusionMatrix(
        string path,
        IReadOnlyList<string> classes,
        IReadOnlyList<IReadOnlyList<double>> counts,
        string title
    )
    {
        using var text = new SKPaint
        {
            Color = SKColors.Black,
            IsAntialias = true,
            TextSize = 12,
        };
        int k = classes.Count;
        int cell = Math.Max(64, (int)Math.Ceiling(classes.Max(c => text.MeasureText(c))) + 12);
        int left = (int)Math.Ceiling(classes.Max(c => text.MeasureText(c))) + 90,
            top = 74;
        using var surface = SKSurface.Create(
            new SKImageInfo(Math.Max(left + k * cell + 20, (int)text.MeasureText(title) + 30), top + k * cell + 30)
        );
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        Label(canvas, title, 10, 20, SKTextAlign.Left, text);
        Label(canvas, "predicted class", left + k * cell / 2f, 44, SKTextAlign.Center, text);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, top + k * cell / 2f);
        Label(canvas, "true class", 18, top + k * cell / 2f, SKTextAlign.Center, text);
        canvas.Restore();
        double max = Math.Max(1, counts.SelectMany(r => r).Max());
        for (int c = 0; c < k; c++)
            Label(canvas, classes[c], left + c * cell + cell / 2, top - 8, SKTextAlign.Center, text);
        for (int r = 0; r < k; r++)
        {
            Label(canvas, classes[r], left - 8, top + r * cell + cell / 2 + 4, SKTextAlign.Right, text);
            double rowTotal = Math.Max(1, counts[r].Sum());
            for (int c = 0; c < k; c++)
            {
                byte shade = (byte)(255 - 200 * counts[r][c] / max);
                canvas.DrawRect(
                    left + c * cell,
                    top + r * cell,
                    cell - 2,
                    cell - 2,
                    new SKPaint { Color = new SKColor(shade, shade, 255) }
                );
                var colour = shade < 128 ? SKColors.White : SKColors.Black;
                Label(
                    canvas,
                    ((int)counts[r][c]).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    left + c * cell + cell / 2,
                    top + r * cell + cell / 2,
                    SKTextAlign.Center,
                    new SKPaint
                    {
                        Color = colour,
                        IsAntialias = true,
                        TextSize = 13,
                        FakeBoldText = r == c,
                    }
                );
                Label(
                    canvas,
                    (counts[r][c] / rowTotal).ToString("0%", System.Globalization.CultureInfo.InvariantCulture),
                    left + c * cell + cell / 2,
                    top + r * cell + cell / 2 + 14,
                    SKTextAlign.Center,
                    new SKPaint
                    {
                        Color = colour.WithAlpha(180),
                        IsAntialias = true,
                        TextSize = 11,
                    }
                );
            }
        }
        Save(surface, path);
    }

    /// <summary>Images with a sentence's attention over their patches overlaid in red, and the sentence under each.</summary>
    public static void AttentionMaps(
        string path,
        IReadOnlyList<(byte[] Gray, int Size, float[] Attention, int Side, string Sentence)> panels
    ) => AtomicFile.WriteAllBytes(path, AttentionMapsPng(panels));

    /// <summary>The attention panels of <see cref="AttentionMaps"/> as PNG bytes (what <c>POST /v1/attention</c> returns).</summary>
    public static byte[] AttentionMapsPng(IReadOnlyList<(byte[] Gray, int Size, float[] Attention, int Side, string Sentence)> panels)
    {
        const int tile = 256,
            captionHeight = 60;
        using var surface = SKSurface.Create(new SKImageInfo(tile * panels.Count, tile + captionHeight));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int p = 0; p < panels.Count; p++)
        {
            var (gray, size, attention, side, sentence) = panels[p];
            using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(gray, 0, bitmap.GetPixels(), gray.Length);
            using (var smoothImage = new SKPaint { FilterQuality = SKFilterQuality.High })
                canvas.DrawBitmap(bitmap, new SKRect(p * tile, 0, (p + 1) * tile, tile), smoothImage);
            // The side × side attention as a heat layer (red, opacity from the map's lowest value to its highest),
            // upsampled smoothly over the image: each patch's value sits at its centre and the filter blends between
            // centres. The range is printed in the corner, so a nearly flat map is not mistaken for a sharp one.
            float min = attention.Min(),
                max = attention.Max(),
                span = Math.Max(max - min, 1e-6f);
            using (var heat = new SKBitmap(new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
            {
                for (int i = 0; i < attention.Length; i++)
                    heat.SetPixel(i % side, i / side, new SKColor(255, 0, 0, (byte)(170 * (attention[i] - min) / span)));
                using var image = SKImage.FromBitmap(heat);
                using var smooth = new SKPaint { FilterQuality = SKFilterQuality.High, IsAntialias = true };
                canvas.DrawImage(image, new SKRect(0, 0, side, side), new SKRect(p * tile, 0, (p + 1) * tile, tile), smooth);
            }
            Label(
                canvas,
                string.Create(CultureInfo.InvariantCulture, $"{side}×{side} patches, attention {min:0.00}–{max:0.00}"),
                p * tile + tile - 4,
                14,
                SKTextAlign.Right,
                new SKPaint { Color = SKColors.White, IsAntialias = true }
            );
            var words = sentence.Split(' ');
            var line = string.Empty;
            float y = tile + 14;
            foreach (var word in words)
            {
                if (text.MeasureText(line + " " + word) > tile - 8 && line.Length > 0)
                {
                    Label(canvas, line, p * tile + 4, y, SKTextAlign.Left, text);
                    y += 13;
                    line = word;
                }
                else
                    line = line.Length == 0 ? word : line + " " + word;
            }
            Label(canvas, line, p * tile + 4, y, SKTextAlign.Left, text);
        }
        using var picture = surface.Snapshot();
        using var png = picture.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>
    /// Segmentation overlays: per image, one tile per arm, the image with the true mask in green and the predicted one
    /// in red (yellow where they agree), the arm's name and the image's Dice under each tile.
    /// </summary>
    public static void SegmentationOverlays(
        string path,
        IReadOnlyList<(byte[] Gray, int Size, byte[] Truth, IReadOnlyList<(string Arm, byte[] Predicted, double Dice)> Arms)> images
    )
    {
        const int tile = 192,
            caption = 18;
        int arms = images.Count == 0 ? 1 : images.Max(i => i.Arms.Count);
        using var surface = SKSurface.Create(new SKImageInfo(tile * arms * Math.Max(1, images.Count), tile + caption));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int n = 0; n < images.Count; n++)
        {
            var (gray, size, truth, results) = images[n];
            for (int a = 0; a < results.Count; a++)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                for (int i = 0; i < size * size; i++)
                {
                    byte g = gray[i];
                    bool t = truth[i] != 0,
                        p = results[a].Predicted[i] != 0;
                    bitmap.SetPixel(
                        i % size,
                        i / size,
                        t && p ? new SKColor(255, 220, 0)
                            : t ? new SKColor((byte)(g / 3), 230, (byte)(g / 3))
                            : p ? new SKColor(240, (byte)(g / 3), (byte)(g / 3))
                            : new SKColor(g, g, g)
                    );
                }
                float x = (n * arms + a) * tile;
                canvas.DrawBitmap(bitmap, new SKRect(x, 0, x + tile - 4, tile - 4));
                Label(canvas, $"{results[a].Arm}: Dice {results[a].Dice:0.00}", x + 2, tile + 12, SKTextAlign.Left, text);
            }
        }
        Save(surface, path);
    }

    /// <summary>
    /// Detection overlays: per image, one tile per arm with the true boxes in green and the predicted ones in red (each
    /// with its score), the tile's caption the arm and its image score (mean precision over the IoU thresholds).
    /// </summary>
    public static void DetectionOverlays(
        string path,
        IReadOnlyList<(
            byte[] Gray,
            int Size,
            IReadOnlyList<Evaluation.BoundingBox> Truth,
            IReadOnlyList<(string Arm, IReadOnlyList<Evaluation.BoundingBox> Predicted, double? Precision)> Arms
        )> images
    )
    {
        const int tile = 192,
            caption = 18;
        int arms = images.Count == 0 ? 1 : images.Max(i => i.Arms.Count);
        using var surface = SKSurface.Create(new SKImageInfo(tile * arms * Math.Max(1, images.Count), tile + caption));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var truthPen = new SKPaint
        {
            Color = new SKColor(40, 220, 40),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 2,
            IsAntialias = true,
        };
        using var predictedPen = new SKPaint
        {
            Color = new SKColor(240, 40, 40),
            Style = SKPaintStyle.Stroke,
            StrokeWidth = 2,
            IsAntialias = true,
        };
        using var scoreText = new SKPaint
        {
            Color = new SKColor(255, 90, 90),
            IsAntialias = true,
            TextSize = 11,
        };
        for (int n = 0; n < images.Count; n++)
        {
            var (gray, size, truth, results) = images[n];
            using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(gray, 0, bitmap.GetPixels(), size * size);
            float scale = (tile - 4f) / size;
            for (int a = 0; a < results.Count; a++)
            {
                float x = (n * arms + a) * tile;
                canvas.DrawBitmap(bitmap, new SKRect(x, 0, x + tile - 4, tile - 4));
                SKRect Rect(Evaluation.BoundingBox b) => new(x + b.X * scale, b.Y * scale, x + b.Right * scale, b.Bottom * scale);
                foreach (var b in truth)
                    canvas.DrawRect(Rect(b), truthPen);
                foreach (var b in results[a].Predicted)
                {
                    var r = Rect(b);
                    canvas.DrawRect(r, predictedPen);
                    canvas.DrawText($"{b.Score:0.00}", r.Left + 2, Math.Max(11, r.Top - 2), scoreText);
                }
                var score = results[a].Precision is { } p ? $"{p:0.00}" : "n/a (nothing true or predicted)";
                Label(canvas, $"{results[a].Arm}: {score}", x + 2, tile + 12, SKTextAlign.Left, text);
            }
        }
        Save(surface, path);
    }

    /// <summary>A table drawn as a picture: a title, a header row and text rows (long cells are cut with "…").</summary>
    public static void Table(
        string path,
        string title,
        IReadOnlyList<string> header,
        IReadOnlyList<IReadOnlyList<string>> rows,
        IReadOnlyList<int> widths
    )
    {
        const int rowHeight = 18,
            top = 40,
            left = 10;
        int width = left * 2 + widths.Sum();
        using var surface = SKSurface.Create(new SKImageInfo(width, top + rowHeight * (rows.Count + 1) + 10));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var bold = new SKPaint
        {
            Color = SKColors.Black,
            IsAntialias = true,
            FakeBoldText = true,
        };
        using var stripe = new SKPaint { Color = new SKColor(0xf2, 0xf2, 0xf2) };
        Label(canvas, title, left, 22, SKTextAlign.Left, bold);
        void Row(IReadOnlyList<string> cells, float y, SKPaint paint)
        {
            float x = left;
            for (int c = 0; c < cells.Count && c < widths.Count; c++)
            {
                var cell = cells[c];
                while (cell.Length > 1 && paint.MeasureText(cell) > widths[c] - 8)
                    cell = cell[..^2] + "…";
                Label(canvas, cell, x, y, SKTextAlign.Left, paint);
                x += widths[c];
            }
        }
        Row(header, top + rowHeight - 4, bold);
        for (int r = 0; r < rows.Count; r++)
        {
            float y0 = top + rowHeight * (r + 1);
            if (r % 2 == 0)
                canvas.DrawRect(left, y0 + 2, widths.Sum(), rowHeight, stripe);
            Row(rows[r], y0 + rowHeight - 2, text);
        }
        Save(surface, path);
    }

    // SkiaSharp 2.88 draws text with the paint's size and alignment.
    private static void Label(SKCanvas canvas, string value, float x, float y, SKTextAlign align, SKPaint paint)
    {
        paint.TextAlign = align;
        if (paint.TextSize < 11)
            paint.TextSize = 12;
        canvas.DrawText(value, x, y, paint);
    }

    private static List<double> Smooth(IReadOnlyList<double> values, int window)
    {
        var result = new List<double>(values.Count);
        for (int i = 0; i < values.Count; i++)
        {
            int from = Math.Max(0, i - window + 1);
            result.Add(values.Skip(from).Take(i - from + 1).Average());
        }
        return result;
    }

    private static void Save(SKSurface surface, string path)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.WriteAllBytes(path, data.AsSpan());
    }
}
