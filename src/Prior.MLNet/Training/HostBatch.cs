namespace Prior.MLNet.Training;

/// <summary>A batch built on the CPU workers, as plain arrays (the training thread turns it into tensors in its own scope).</summary>
/// <param name="Count">Samples in the batch.</param>
/// <param name="Length">Token positions per sample: the batch's longest report, not the tokenizer's maximum (see <see
/// cref="Text.ReportBatch.Collate"/>).</param>
/// <param name="Images">Count × size × size pixels.</param>
/// <param name="InputIds">Count × Length token ids.</param>
/// <param name="AttentionMask">Count × Length, 1 for real tokens.</param>
/// <param name="SentenceIndex">Count × Length sentence indices (−1 outside sentences).</param>
/// <param name="Skipped">Samples left out, each as "path: reason".</param>
internal sealed record HostBatch(
    int Count,
    int Length,
    float[] Images,
    long[] InputIds,
    long[] AttentionMask,
    long[] SentenceIndex,
    IReadOnlyList<string> Skipped
);
