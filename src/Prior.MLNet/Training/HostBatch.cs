namespace Prior.MLNet.Training;

/// <summary>A batch built on the CPU workers, as plain arrays (the training thread turns it into tensors in its own scope).</summary>
internal sealed record HostBatch(int Count, float[] Images, long[] InputIds, long[] AttentionMask, long[] SentenceIndex, IReadOnlyList<string> Skipped);
