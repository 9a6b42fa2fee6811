using System.Threading.Channels;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Text;

namespace Prior.MLNet.Training;

/// <summary>
/// Builds training batches on background workers with bounded prefetch: per sample one random frontal image of
/// the study (decoded, resized, rotated ±5°, flipped, normalised) and the report's sentences in a fresh random
/// order, tokenised. All randomness derives from (seed, epoch, study), so an epoch is the same whether it runs
/// straight through or resumes half-way, and whatever the number of workers. Unreadable images drop their sample
/// and are reported with their path.
/// </summary>
internal sealed class BatchLoader
{
    private readonly IReadOnlyList<TrainingStudy> _studies;
    private readonly ReportTokenizer _tokenizer;
    private readonly ImagePreprocessor _images;
    private readonly long _seed;
    private readonly int _workers;
    private readonly int _prefetch;

    public BatchLoader(
        IReadOnlyList<TrainingStudy> studies,
        ReportTokenizer tokenizer,
        ImagePreprocessor images,
        int batchSize,
        long seed,
        int workers,
        int prefetch
    )
    {
        if (studies.Count == 0)
            throw new ArgumentException("There are no studies to train on.", nameof(studies));
        _studies = studies;
        _tokenizer = tokenizer;
        _images = images;
        BatchSize = Math.Min(batchSize, studies.Count);
        _seed = seed;
        _workers = Math.Max(1, workers);
        _prefetch = Math.Max(1, prefetch);
    }

    public int BatchSize { get; }

    /// <summary>Full batches per epoch (the last partial batch is dropped, as contrastive losses want equal batches).</summary>
    public int BatchesPerEpoch => _studies.Count / BatchSize;

    /// <summary>The batches of epoch <paramref name="epochKey"/> from <paramref name="startBatch"/> on, prefetched in the
    /// background.</summary>
    public IEnumerable<HostBatch> Epoch(int epochKey, int startBatch, CancellationToken cancellation)
    {
        var order = Enumerable.Range(0, _studies.Count).ToArray();
        DeterministicRandom.Derive(_seed, "epoch-order", epochKey).Shuffle(order);
        var channel = Channel.CreateBounded<HostBatch>(new BoundedChannelOptions(_prefetch) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    for (int b = startBatch; b < BatchesPerEpoch; b++)
                    {
                        var batch = Build(order.AsSpan(b * BatchSize, BatchSize).ToArray(), epochKey);
                        await channel.Writer.WriteAsync(batch, stop.Token).ConfigureAwait(false);
                    }
                    channel.Writer.Complete();
                }
                catch (Exception ex)
                {
                    channel.Writer.Complete(ex is OperationCanceledException ? null : ex);
                }
            },
            stop.Token
        );
        try
        {
            while (true)
            {
                HostBatch? next;
                try
                {
                    if (!channel.Reader.WaitToReadAsync(stop.Token).AsTask().GetAwaiter().GetResult())
                        break;
                    if (!channel.Reader.TryRead(out next))
                        continue;
                }
                catch (ChannelClosedException ex) when (ex.InnerException is not null)
                {
                    throw ex.InnerException;
                }
                yield return next;
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                producer.Wait();
            }
            catch (AggregateException) { }
        }
    }

    /// <summary>Builds one batch on the worker pool.</summary>
    public HostBatch Build(int[] indices, int epochKey)
    {
        int size = _images.Size;
        var images = new float[indices.Length][];
        var reports = new TokenizedReport?[indices.Length];
        var skipped = new string?[indices.Length];
        Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers }, i =>
        {
            var study = _studies[indices[i]];
            var random = DeterministicRandom.Derive(_seed, "sample", (long)epochKey * 10_000_019L + indices[i]);
            var path = study.ImagePaths[random.Next(study.ImagePaths.Count)];
            var sentences = study.Sentences.ToList();
            random.Shuffle(sentences);
            try
            {
                images[i] = _images.Load(path, random);
                reports[i] = _tokenizer.Encode(sentences);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                skipped[i] = $"{path}: {ex.Message}";
            }
        });
        var kept = Enumerable.Range(0, indices.Length).Where(i => skipped[i] is null).ToArray();
        // Padded to the batch's longest report only (a test checks the losses and gradients against full padding).
        var (ids, mask, index, length) = ReportBatch.Collate(kept.Select(i => reports[i]!).ToList());
        var pixels = new float[kept.Length * size * size];
        for (int k = 0; k < kept.Length; k++)
            images[kept[k]].CopyTo(pixels, k * size * size);
        return new HostBatch(kept.Length, length, pixels, ids, mask, index, skipped.Where(s => s is not null).Select(s => s!).ToList());
    }
}
