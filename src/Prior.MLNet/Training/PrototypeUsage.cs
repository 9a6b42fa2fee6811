using Prior.MLNet.Modeling;

namespace Prior.MLNet.Training;

/// <summary>
/// How the sentence prototype bank was used over one epoch of stage 2 or 3, as a vector-quantisation engineer would
/// check a codebook: how many prototypes some sentence chose, the usage perplexity (exp of the entropy of the usage
/// distribution: K when every prototype is used equally, 1 when one takes everything) and how many were restarted.
/// </summary>
/// <param name="Stage">The stage.</param>
/// <param name="Epoch">Epoch within the stage (0-based).</param>
/// <param name="Sentences">Real sentences assigned during the epoch.</param>
/// <param name="Prototypes">The bank's size K.</param>
/// <param name="Used">Prototypes that some sentence chose in training, where the choice is Gumbel-noisy (a sample from
/// the softmax): prototypes that receive sentences, and gradient, while training. See <see cref="UsedNoiseFree"/> for inference's.</param>
/// <param name="Perplexity">exp(−Σ pₖ ln pₖ) of those usage frequencies pₖ.</param>
/// <param name="Reseeded">Unused prototypes moved onto recent sentences at the epoch's end (0 when restarts are off).</param>
public sealed record PrototypeUsage(PriorStage Stage, int Epoch, long Sentences, int Prototypes, int Used, double Perplexity, int Reseeded)
{
    /// <summary>Prototypes no sentence chose during the epoch.</summary>
    public int Dead => Prototypes - Used;

    /// <summary>
    /// Prototypes that are the noise-free choice (the largest logit, as inference assigns) of at least one sentence of
    /// the epoch: the codebook a trained model really uses. Far below <see cref="Used"/> when the bank has collapsed
    /// and only the noise spreads sentences over it.
    /// </summary>
    public int UsedNoiseFree { get; init; }

    /// <summary>The usage perplexity of the noise-free choices.</summary>
    public double PerplexityNoiseFree { get; init; }

    /// <summary>The usage perplexity of per-prototype counts.</summary>
    public static double PerplexityOf(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        double total = counts.Sum();
        if (total == 0)
            return 0;
        double entropy = 0;
        foreach (var c in counts)
        {
            if (c == 0)
                continue;
            double p = c / total;
            entropy -= p * Math.Log(p);
        }
        return Math.Exp(entropy);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"stage {(int)Stage} epoch {Epoch + 1}: {Used} of {Prototypes} prototypes used by {Sentences} sentences, usage perplexity "
        + $"{Perplexity:0.0}"
        + $" (noise-free, as at inference: {UsedNoiseFree} used, perplexity {PerplexityNoiseFree:0.0})"
        + (Reseeded > 0 ? $", {Reseeded} unused re-seeded" : "");
}
