using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// Spherical k-means (cosine similarity) with k-means++ seeding, for initialising the sentence prototype bank
/// from sentence embeddings. The bank assigns by the dot product x·eₖ, which equals the cosine ranking when every
/// prototype has the same norm, so clustering directions (not points) gives centres the bank will actually use.
/// Deterministic for a seed: the seeding draws come from <see cref="Random"/>, never from torch's generator, so a
/// resumed training run repeats an uninterrupted one.
/// </summary>
internal static class SphericalKMeans
{
    /// <summary>The result of a clustering.</summary>
    /// <param name="Directions">Unit-norm centres [K, D].</param>
    /// <param name="Assignment">Each point's centre [N] (int64).</param>
    /// <param name="MeanCosine">Mean cosine between each point and its centre.</param>
    public sealed record Result(Tensor Directions, Tensor Assignment, double MeanCosine);

    /// <summary>
    /// Clusters the rows of <paramref name="points"/> [N, D] into <paramref name="k"/> directions. With fewer points
    /// than centres, the surplus centres are the points again, each with a small seeded perturbation.
    /// An empty cluster after an update is moved to the point its centre fits worst.
    /// </summary>
    public static Result Fit(Tensor points, int k, long seed, int iterations = 25)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (points.dim() != 2)
            throw new ArgumentException($"points must be [N, D]; got [{string.Join(", ", points.shape)}].", nameof(points));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        long n = points.shape[0];
        if (n == 0)
            throw new ArgumentException("No points to cluster.", nameof(points));
        using var scope = NewDisposeScope();
        var random = new Random(unchecked((int)seed) ^ 0x5EED);
        var x = nn.functional.normalize(points.detach().to(ScalarType.Float32), dim: 1);
        var centres = SeedPlusPlus(x, k, random);
        Tensor assignment = zeros(n, ScalarType.Int64, x.device);
        // With no more points than centres every point is a centre already (the surplus ones perturbed copies);
        // Lloyd's updates would only pull the copies back onto their points.
        for (int iteration = 0; iteration < (n > k ? iterations : 0); iteration++)
        {
            var similarity = x.matmul(centres.t());
            var (best, index) = similarity.max(1);
            bool unchanged = iteration > 0 && index.eq(assignment).all().item<bool>();
            assignment = index;
            if (unchanged)
                break;
            var sums = zeros(k, x.shape[1], x.dtype, x.device).index_add_(0, assignment, x, 1);
            var counts = bincount(assignment, minlength: k).cpu().data<long>().ToArray();
            var fit = best.clone();
            for (int c = 0; c < k; c++)
            {
                if (counts[c] > 0)
                    continue;
                // An empty cluster takes the point that fits its own centre worst; that point then belongs to it.
                long worst = fit.argmin().item<long>();
                sums[c] = x[worst];
                fit[worst] = 2; // above any cosine: not taken twice
            }
            centres = nn.functional.normalize(sums, dim: 1);
        }
        var final = x.matmul(centres.t()).max(1);
        double meanCosine = final.values.mean().item<float>();
        return new Result(centres.MoveToOuterDisposeScope(), final.indexes.MoveToOuterDisposeScope(), meanCosine);
    }

    // k-means++ on the sphere: each next centre drawn with probability proportional to its distance 1 − cos to the
    // nearest centre so far (no point is drawn twice while any other point is farther than 0).
    private static Tensor SeedPlusPlus(Tensor x, int k, Random random)
    {
        long n = x.shape[0];
        var chosen = new List<long> { random.NextInt64(n) };
        var nearest = (1 - x.matmul(x[chosen[0]])).clamp_min(0).cpu().to(ScalarType.Float64).data<double>().ToArray();
        while (chosen.Count < k)
        {
            double total = nearest.Sum();
            long next;
            if (total <= 1e-12)
            {
                next = random.NextInt64(n); // every point already coincides with a centre
            }
            else
            {
                double u = random.NextDouble() * total,
                    run = 0;
                next = n - 1;
                for (long i = 0; i < n; i++)
                {
                    run += nearest[i];
                    if (run >= u && nearest[i] > 0)
                    {
                        next = i;
                        break;
                    }
                }
            }
            chosen.Add(next);
            var distance = (1 - x.matmul(x[next])).clamp_min(0).cpu().to(ScalarType.Float64).data<double>().ToArray();
            for (long i = 0; i < n; i++)
                nearest[i] = Math.Min(nearest[i], distance[i]);
        }
        var centres = x.index_select(0, tensor(chosen.ToArray(), device: x.device)).clone();
        if (n < k)
        {
            // Repeated points: perturb the copies so that the centres differ.
            var generator = new Random(random.Next());
            var noise = tensor(
                    Enumerable.Range(0, (int)(k * x.shape[1])).Select(_ => (float)(generator.NextDouble() - 0.5) * 1e-2f).ToArray(),
                    [k, x.shape[1]]
                )
                .to(x.device);
            centres = nn.functional.normalize(centres + noise, dim: 1);
        }
        return centres;
    }
}
