using Prior.MLNet.IO;
using SkiaSharp;

namespace Prior.MLNet.Samples.Report;

/// <summary>Small PNG charts for the demo report, drawn with SkiaSharp (no plotting dependency).</summary>
internal static class Charts
{
    private static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f)];

    /// <summary>One panel per stage: every loss term per step (smoothed over 10 steps).</summary>
    public static void LossCurves(string path, IReadOnlyList<(string Stage, IReadOnlyDictionary<string, IReadOnlyList<double>> Terms)> stages)
    {
        const int panelWidth = 420, height = 320, margin = 40;
        using var surface = SKSurface.Create(new SKImageInfo(panelWidth * Math.Max(1, stages.Count), height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var axis = new SKPaint { Color = SKColors.Gray, StrokeWidth = 1, IsAntialias = true };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int p = 0; p < stages.Count; p++)
        {
            var (stage, terms) = stages[p];
            float x0 = p * panelWidth + margin, y0 = margin, w = panelWidth - 2 * margin, h = height - 2 * margin;
            canvas.DrawRect(x0, y0, w, h, new SKPaint { Color = SKColors.LightGray, Style = SKPaintStyle.Stroke });
            Label(canvas, stage, x0, y0 - 12, SKTextAlign.Left, text);
            var smoothed = terms.ToDictionary(t => t.Key, t => Smooth(t.Value, 10));
            var all = smoothed.Values.SelectMany(v => v).Where(double.IsFinite).ToList();
            if (all.Count == 0) continue;
            double min = all.Min(), max = all.Max(), span = Math.Max(max - min, 1e-9);
            int c = 0, legendY = (int)y0 + 14;
            foreach (var (name, values) in smoothed)
            {
                using var line = new SKPaint { Color = Palette[c++ % Palette.Length], StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
                using var pathLine = new SKPath();
                for (int i = 0; i < values.Count; i++)
                {
                    float x = x0 + w * i / Math.Max(1, values.Count - 1), y = y0 + h - (float)((values[i] - min) / span) * h;
                    if (i == 0) pathLine.MoveTo(x, y); else pathLine.LineTo(x, y);
                }
                canvas.DrawPath(pathLine, line);
                Label(canvas, name, x0 + w - 4, legendY, SKTextAlign.Right, new SKPaint { Color = line.Color, IsAntialias = true });
                legendY += 14;
            }
            Label(canvas, $"{max:0.00}", x0 - 4, y0 + 10, SKTextAlign.Right, text);
            Label(canvas, $"{min:0.00}", x0 - 4, y0 + h, SKTextAlign.Right, text);
            Label(canvas, "step", x0 + w / 2, y0 + h + 16, SKTextAlign.Center, text);
        }
        Save(surface, path);
    }

    /// <summary>A confusion matrix heat map with counts (rows: truth, columns: prediction).</summary>
    public static void ConfusionMatrix(string path, IReadOnlyList<string> classes, IReadOnlyList<IReadOnlyList<double>> counts, string title)
    {
        int k = classes.Count, cell = 70, left = 140, top = 60;
        using var surface = SKSurface.Create(new SKImageInfo(left + k * cell + 20, top + k * cell + 60));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        Label(canvas, title, 10, 20, SKTextAlign.Left, text);
        double max = Math.Max(1, counts.SelectMany(r => r).Max());
        for (int r = 0; r < k; r++)
        {
            Label(canvas, classes[r], left - 6, top + r * cell + cell / 2 + 4, SKTextAlign.Right, text);
            for (int c = 0; c < k; c++)
            {
                byte shade = (byte)(255 - 200 * counts[r][c] / max);
                canvas.DrawRect(left + c * cell, top + r * cell, cell - 2, cell - 2, new SKPaint { Color = new SKColor(shade, shade, 255) });
                Label(canvas, ((int)counts[r][c]).ToString(System.Globalization.CultureInfo.InvariantCulture), left + c * cell + cell / 2, top + r * cell + cell / 2 + 4,
                    SKTextAlign.Center, new SKPaint { Color = shade < 128 ? SKColors.White : SKColors.Black, IsAntialias = true });
            }
        }
        for (int c = 0; c < k; c++)
            Label(canvas, classes[c].Length > 10 ? classes[c][..10] : classes[c], left + c * cell + cell / 2, top + k * cell + 16, SKTextAlign.Center, text);
        Label(canvas, "predicted →   (rows: truth)", left, top + k * cell + 36, SKTextAlign.Left, text);
        Save(surface, path);
    }

    /// <summary>Images with a sentence's attention over their patches overlaid in red, and the sentence under each.</summary>
    public static void AttentionMaps(string path, IReadOnlyList<(byte[] Gray, int Size, float[] Attention, int Side, string Sentence)> panels)
    {
        const int tile = 256, captionHeight = 60;
        using var surface = SKSurface.Create(new SKImageInfo(tile * panels.Count, tile + captionHeight));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int p = 0; p < panels.Count; p++)
        {
            var (gray, size, attention, side, sentence) = panels[p];
            using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(gray, 0, bitmap.GetPixels(), gray.Length);
            canvas.DrawBitmap(bitmap, new SKRect(p * tile, 0, (p + 1) * tile, tile));
            float max = Math.Max(attention.Max(), 1e-6f), cellSize = tile / (float)side;
            for (int i = 0; i < attention.Length; i++)
            {
                byte alpha = (byte)(150 * attention[i] / max);
                canvas.DrawRect(p * tile + (i % side) * cellSize, (i / side) * cellSize, cellSize, cellSize, new SKPaint { Color = new SKColor(255, 0, 0, alpha) });
            }
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
                else line = line.Length == 0 ? word : line + " " + word;
            }
            Label(canvas, line, p * tile + 4, y, SKTextAlign.Left, text);
        }
        Save(surface, path);
    }

    /// <summary>A table drawn as a picture: a title, a header row and text rows (long cells are cut with "…").</summary>
    public static void Table(string path, string title, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<int> widths)
    {
        const int rowHeight = 18, top = 40, left = 10;
        int width = left * 2 + widths.Sum();
        using var surface = SKSurface.Create(new SKImageInfo(width, top + rowHeight * (rows.Count + 1) + 10));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var bold = new SKPaint { Color = SKColors.Black, IsAntialias = true, FakeBoldText = true };
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
            if (r % 2 == 0) canvas.DrawRect(left, y0 + 2, widths.Sum(), rowHeight, stripe);
            Row(rows[r], y0 + rowHeight - 2, text);
        }
        Save(surface, path);
    }

    // SkiaSharp 2.88 draws text with the paint's size and alignment.
    private static void Label(SKCanvas canvas, string value, float x, float y, SKTextAlign align, SKPaint paint)
    {
        paint.TextAlign = align;
        if (paint.TextSize < 11) paint.TextSize = 12;
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
