using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Downstream;

/// <summary>
/// Greedy non-maximum suppression: boxes from the most to the least confident, each kept unless it overlaps an
/// already kept box by more than the IoU limit. (TorchSharp's TorchVision port has no <c>nms</c>; a detector keeps
/// a few dozen candidates per image, so this runs on the CPU after the network.)
/// </summary>
internal static class NonMaximumSuppression
{
    /// <summary>The kept boxes, most confident first, at most <paramref name="maxBoxes"/>.</summary>
    public static IReadOnlyList<BoundingBox> Apply(IEnumerable<BoundingBox> boxes, double iouLimit = 0.5, int maxBoxes = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (iouLimit is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(iouLimit), iouLimit, "must be in [0, 1]");
        var kept = new List<BoundingBox>();
        foreach (var box in boxes.Select((b, i) => (b, i)).OrderByDescending(p => p.b.Score).ThenBy(p => p.i).Select(p => p.b))
        {
            if (kept.Count >= maxBoxes)
                break;
            if (kept.All(k => k.IoU(box) <= iouLimit))
                kept.Add(box);
        }
        return kept;
    }
}
