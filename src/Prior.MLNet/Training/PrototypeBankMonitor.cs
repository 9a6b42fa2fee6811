using Prior.MLNet.Data;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// Counts the bank's choices over an epoch on the training device (read at the epoch's end and at checkpoints only,
/// so no step waits for the host) and restarts unused prototypes on the training sentences the bank serves worst.
/// Its whole state is the counts, which checkpoints keep, so a resumed run restarts the same prototypes.
/// </summary>
internal sealed class PrototypeBankMonitor : IDisposable
{
    private readonly int _prototypes;

    // The Gumbel-noisy choices (training's sample), then the noise-free ones (inference's choice).
    private readonly Tensor _counts;
    private readonly Tensor _noiseFreeCounts;

    public PrototypeBankMonitor(int prototypes, Device device)
    {
        _prototypes = prototypes;
        _counts = zeros(prototypes, ScalarType.Int64, device).DetachFromDisposeScope();
        _noiseFreeCounts = zeros(prototypes, ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Reports sampled per restart to find the sentences the bank serves worst.</summary>
    public const int RestartSampleReports = 256;

    /// <summary>Adds one step's choices.</summary>
    public void Observe(BankObservation observation)
    {
        if (observation.Index.numel() > 0)
            _counts.add_(bincount(observation.Index, minlength: _prototypes));
        if (observation.NoiseFreeIndex is { } noiseFree && noiseFree.numel() > 0)
            _noiseFreeCounts.add_(bincount(noiseFree, minlength: _prototypes));
    }

    /// <summary>The counts so far this epoch, for checkpoints: the K sampled counts, then the K noise-free ones (one host read).</summary>
    public long[] Counts()
    {
        using var scope = NewDisposeScope();
        return cat([_counts, _noiseFreeCounts]).cpu().data<long>().ToArray();
    }

    /// <summary>Continues an epoch from a checkpoint's counts (2K; or K from checkpoints that kept only the sampled ones).</summary>
    public void Restore(IReadOnlyList<long> counts)
    {
        if (counts.Count != _prototypes && counts.Count != 2 * _prototypes)
            throw new InvalidDataException($"The checkpoint counts {counts.Count} prototypes, the bank has {_prototypes}.");
        using var scope = NewDisposeScope();
        var all = counts.ToArray();
        _counts.copy_(tensor(all[.._prototypes]).to(_counts.device));
        _noiseFreeCounts.copy_(
            counts.Count == 2 * _prototypes ? tensor(all[_prototypes..]).to(_counts.device) : zeros_like(_noiseFreeCounts)
        );
    }

    /// <summary>
    /// Closes the epoch: its usage, after moving each unused prototype (when <paramref name="restart"/>) onto one of
    /// the sentences of a seeded sample of studies that are farthest (by cosine) from every prototype.
    /// </summary>
    public PrototypeUsage EndEpoch(
        PriorStage stage,
        int epoch,
        PriorModel model,
        bool restart,
        IReadOnlyList<TrainingStudy> studies,
        ReportTokenizer tokenizer,
        long seed
    )
    {
        var both = Counts();
        var counts = both[.._prototypes];
        var noiseFree = both[_prototypes..];
        var dead = Enumerable.Range(0, counts.Length).Where(i => counts[i] == 0).Select(i => (long)i).ToList();
        int restarted = 0;
        if (restart && dead.Count > 0)
        {
            var random = DeterministicRandom.Derive(seed, "bank-restart", (int)stage * 100_000L + epoch);
            var order = Enumerable.Range(0, studies.Count).ToList();
            random.Shuffle(order);
            var sample = order.Take(RestartSampleReports).Select(i => studies[i].Sentences).ToList();
            var encoded = SentenceVectors.Encode(model, tokenizer, sample);
            using var scope = NewDisposeScope();
            using var vectors = encoded.Vectors;
            if (vectors.shape[0] > 0)
            {
                var bank = model.sentence_bank.embed.weight!;
                var fit = nn.functional.normalize(vectors, dim: 1).matmul(nn.functional.normalize(bank.detach(), dim: 1).t()).max(1).values;
                var worst = fit.argsort().cpu().data<long>().ToArray();
                var candidates = vectors.index_select(0, tensor(worst.Take(dead.Count).ToArray(), device: vectors.device));
                model.sentence_bank.Reseed(dead.Take((int)candidates.shape[0]).ToList(), candidates);
                restarted = (int)Math.Min(dead.Count, candidates.shape[0]);
            }
        }
        _counts.zero_();
        _noiseFreeCounts.zero_();
        return new PrototypeUsage(
            stage,
            epoch,
            counts.Sum(),
            counts.Length,
            counts.Count(c => c > 0),
            PrototypeUsage.PerplexityOf(counts),
            restarted
        )
        {
            UsedNoiseFree = noiseFree.Count(c => c > 0),
            PerplexityNoiseFree = PrototypeUsage.PerplexityOf(noiseFree),
        };
    }

    public void Dispose()
    {
        _counts.Dispose();
        _noiseFreeCounts.Dispose();
    }
}
