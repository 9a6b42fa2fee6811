using System.Globalization;
using System.Text;

namespace Prior.MLNet.Data;

/// <summary>
/// Part <see cref="Index"/> of <see cref="Count"/> of a dataset, split by study, for running one job on many machines
/// (a Slurm array, a Kubernetes indexed Job) without them talking to each other: a study belongs to part
/// FNV-1a-64(its key) mod <see cref="Count"/>, so parts never overlap, together they hold everything, every machine
/// computes the same split, and the images of a study stay together. Table rows that cannot be read (no study to go by)
/// belong to part 0, so that each is counted once over all parts.
/// </summary>
/// <param name="Index">This part, from 0 to <paramref name="Count"/> − 1.</param>
/// <param name="Count">How many parts, at least 1.</param>
public sealed record DataShard(int Index, int Count)
{
    /// <summary>How many parts, at least 1.</summary>
    public int Count { get; } =
        Count >= 1 ? Count : throw new ArgumentOutOfRangeException(nameof(Count), Count, "A dataset splits into at least 1 part.");

    /// <summary>This part, from 0 to <see cref="Count"/> − 1.</summary>
    public int Index { get; } =
        Index >= 0 && Index < Count
            ? Index
            : throw new ArgumentOutOfRangeException(nameof(Index), Index, $"The part must be from 0 to {Count - 1}.");

    /// <summary>The part among <paramref name="count"/> that the study with key <paramref name="key"/> belongs to.</summary>
    public static int Of(string key, int count)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ulong hash = 14695981039346656037UL; // FNV-1a 64: offset basis, then xor and multiply by the prime per byte
        foreach (byte b in Encoding.UTF8.GetBytes(key))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return (int)(hash % (ulong)count);
    }

    /// <summary>Whether the study with key <paramref name="key"/> belongs to this part.</summary>
    public bool Holds(string key) => Of(key, Count) == Index;

    /// <summary>
    /// Whether MIMIC-CXR study <paramref name="studyId"/> belongs to this part; its key is the study id in decimal, which
    /// names a study wherever the dataset is mounted.
    /// </summary>
    public bool HoldsStudy(long studyId) => Holds(studyId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether this part counts the table rows that cannot be read (part 0 does).</summary>
    public bool HoldsUnattributed => Index == 0;

    /// <summary>Whether a skip is counted by this part: one of study <paramref name="studyId"/>, or of no study when null.</summary>
    internal bool Counts(long? studyId) => studyId is { } id ? HoldsStudy(id) : HoldsUnattributed;
}
