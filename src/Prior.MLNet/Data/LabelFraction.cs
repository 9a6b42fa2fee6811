namespace Prior.MLNet.Data;

/// <summary>
/// The label-fraction protocol of PRIOR's downstream experiments (1 %, 10 %, 100 % of the labelled training images):
/// a seeded shuffle of the training set and its first round(fraction · N) entries, at least two.
/// </summary>
internal static class LabelFraction
{
    /// <summary>Indices into a training set of <paramref name="count"/> entries, in shuffled order.</summary>
    public static IReadOnlyList<int> Choose(int count, double fraction, long seed)
    {
        if (fraction is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1]");
        var order = Enumerable.Range(0, count).ToArray();
        new DeterministicRandom((ulong)seed).Shuffle(order);
        return order.Take(Math.Max(2, (int)Math.Round(fraction * count))).ToList();
    }
}
