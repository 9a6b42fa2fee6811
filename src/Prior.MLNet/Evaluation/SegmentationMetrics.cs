namespace Prior.MLNet.Evaluation;

/// <summary>
/// Overlap of a predicted mask with the true one, per image, as segmentation papers and the SIIM-ACR challenge report
/// them: Dice = 2|P∩T| / (|P| + |T|) and IoU = |P∩T| / |P∪T|, both 1 when the two masks are empty (SIIM's rule, so an
/// image without pneumothorax scores 1 for an empty prediction and 0 for any other).
/// </summary>
public static class SegmentationMetrics
{
    /// <summary>Dice of two masks of equal length (non-zero = inside).</summary>
    public static double Dice(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        var (both, p, t) = Counts(predicted, truth);
        return p + t == 0 ? 1 : 2.0 * both / (p + t);
    }

    /// <summary>Intersection over union of two masks of equal length (non-zero = inside).</summary>
    public static double IoU(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        var (both, p, t) = Counts(predicted, truth);
        return p + t == 0 ? 1 : (double)both / (p + t - both);
    }

    private static (long Both, long Predicted, long Truth) Counts(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"The masks differ in size: {predicted.Length} and {truth.Length} pixels.");
        long both = 0, p = 0, t = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            bool inP = predicted[i] != 0, inT = truth[i] != 0;
            if (inP) p++;
            if (inT) t++;
            if (inP && inT) both++;
        }
        return (both, p, t);
    }
}
