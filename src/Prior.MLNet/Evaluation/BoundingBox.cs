namespace Prior.MLNet.Evaluation;

/// <summary>
/// An axis-aligned box in pixels in RSNA's convention: <see cref="X"/>, <see cref="Y"/> the top-left corner,
/// <see cref="Width"/>, <see cref="Height"/> its size; <see cref="Score"/> the detector's confidence (1 for a true box).
/// </summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (positive).</param>
/// <param name="Height">Height (positive).</param>
/// <param name="Score">Confidence in [0, 1]; 1 for ground truth.</param>
internal readonly record struct BoundingBox(float X, float Y, float Width, float Height, float Score = 1)
{
    /// <summary>Right edge.</summary>
    public float Right => X + Width;

    /// <summary>Bottom edge.</summary>
    public float Bottom => Y + Height;

    /// <summary>Area (0 for a degenerate box).</summary>
    public double Area => Math.Max(0, (double)Width) * Math.Max(0, (double)Height);

    /// <summary>Intersection over union with <paramref name="other"/>: 0 when they do not overlap or either is empty.</summary>
    public double IoU(BoundingBox other)
    {
        double w = Math.Min(Right, other.Right) - Math.Max(X, other.X);
        double h = Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y);
        if (w <= 0 || h <= 0)
            return 0;
        double intersection = w * h;
        return intersection / (Area + other.Area - intersection);
    }

    /// <summary>The same box with its coordinates multiplied by <paramref name="sx"/> (x, width) and <paramref name="sy"/> (y,
    /// height).</summary>
    public BoundingBox Scale(double sx, double sy) =>
        this with
        {
            X = (float)(X * sx),
            Y = (float)(Y * sy),
            Width = (float)(Width * sx),
            Height = (float)(Height * sy),
        };

    /// <summary>Reads RSNA's flat layout (x, y, width, height per box), as <c>RsnaPneumoniaImage.Boxes</c> holds it.</summary>
    public static IReadOnlyList<BoundingBox> FromFlat(IReadOnlyList<float> flat)
    {
        ArgumentNullException.ThrowIfNull(flat);
        if (flat.Count % 4 != 0)
            throw new ArgumentException($"Boxes come as four numbers each; got {flat.Count}.", nameof(flat));
        return Enumerable
            .Range(0, flat.Count / 4)
            .Select(i => new BoundingBox(flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3]))
            .ToList();
    }
}
