using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (sentence_bank.embed).

namespace Prior.MLNet.Modeling;

/// <summary>
/// The sentence prototype memory bank (SPB): a codebook E [n, D] (N(0,1) init, no EMA). A sentence x gets
/// logits x·Eᵀ and prototype q = p·E with p = gumbel_softmax(logits, τ) (soft) in training and the noise-free
/// softmax(logits/τ) at inference (our fix: the original draws noise at test time too, so its embeddings vary).
/// </summary>
public sealed class SentencePrototypeBank : nn.Module<Tensor, Tensor?, PrototypeAssignment>
{
    /// <summary>The codebook.</summary>
    public readonly Embedding embed;

    /// <summary>Gumbel-softmax temperature τ (0.9 in PRIOR).</summary>
    public double Temperature { get; }

    /// <summary>Creates a bank of <paramref name="prototypes"/> prototypes of width <paramref name="dim"/>.</summary>
    public SentencePrototypeBank(int dim, int prototypes, double temperature = 0.9) : base(nameof(SentencePrototypeBank))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prototypes, 1);
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be positive");
        Temperature = temperature;
        embed = nn.Embedding(prototypes, dim);
        using (no_grad())
            nn.init.normal_(embed.weight!);
        RegisterComponents();
    }

    /// <summary>
    /// Replaces the Gumbel draw of training mode, for parity runs and tests: called with the number of real rows
    /// (the sentences selected by the mask, in row-major order, or every row without a mask) and the prototype count,
    /// it returns noise [rows, K]. Null (default) draws Gumbel(0, 1) noise from torch's generator.
    /// </summary>
    public Func<long, long, Tensor>? NoiseSource { get; set; }

    /// <summary>
    /// Assigns sentences [.., D]: Gumbel noise in training mode, none in eval mode. <paramref name="mask"/> (the
    /// sentences' leading dimensions, true for real rows) tells <see cref="NoiseSource"/> which rows are real.
    /// </summary>
    public override PrototypeAssignment forward(Tensor sentences, Tensor? mask)
    {
        if (!training)
            return Assign(sentences, null);
        using var scope = NewDisposeScope();
        var logits = sentences.matmul(embed.weight!.t());
        return Assign(sentences, SampleNoise(logits, mask)).MoveToOuterDisposeScope();
    }

    /// <summary>Assigns sentences with every row real (see <see cref="forward(Tensor, Tensor?)"/>).</summary>
    public PrototypeAssignment call(Tensor sentences) => call(sentences, null);

    private Tensor SampleNoise(Tensor logits, Tensor? mask)
    {
        if (NoiseSource is null)
        {
            // Gumbel(0, 1) noise: -log(-log U), U in (0, 1).
            var uniform = rand_like(logits).clamp(1e-10, 1 - 1e-7);
            return uniform.log().neg().log().neg();
        }
        long k = logits.shape[^1];
        if (mask is null)
        {
            long rows = logits.numel() / k;
            return NoiseSource(rows, k).to(logits.dtype).to(logits.device).reshape(logits.shape);
        }
        var selected = mask.to_type(ScalarType.Bool);
        var noise = NoiseSource(selected.sum().item<long>(), k).to(logits.dtype).to(logits.device);
        var full = zeros_like(logits);
        full[selected] = noise;
        return full;
    }

    /// <summary>Assigns with the given Gumbel noise (null for the noise-free inference path).</summary>
    public PrototypeAssignment Assign(Tensor sentences, Tensor? gumbelNoise)
    {
        using var scope = NewDisposeScope();
        var logits = sentences.matmul(embed.weight!.t());
        var noisy = gumbelNoise is null ? logits : logits + gumbelNoise;
        var probabilities = (noisy / Temperature).softmax(-1);
        var prototypes = probabilities.matmul(embed.weight!);
        return new PrototypeAssignment(prototypes, logits, probabilities.argmax(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Replaces the codebook by the spherical k-means centres of <paramref name="sentences"/> [N, D], each scaled to
    /// the sentences' mean norm: every prototype starts where sentences are and with equal norms, so that the
    /// bank's dot-product assignment ranks them by cosine. Returns the clustering (its mean cosine tells the fit).
    /// </summary>
    public SphericalKMeans.Result InitializeFromSentences(Tensor sentences, long seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var weight = embed.weight!;
        if (sentences.dim() != 2 || sentences.shape[1] != weight.shape[1])
            throw new ArgumentException($"sentences must be [N, {weight.shape[1]}]; got [{string.Join(", ", sentences.shape)}].", nameof(sentences));
        var result = SphericalKMeans.Fit(sentences, (int)weight.shape[0], seed);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            var radius = sentences.detach().to(weight.dtype).norm(1).mean();
            weight.copy_((result.Directions.to(weight.device).to(weight.dtype) * radius.to(weight.device)));
        }
        return result;
    }

    /// <summary>
    /// Moves the prototypes <paramref name="dead"/> (unused for an epoch) onto <paramref name="sentences"/> [N, D]
    /// (N ≥ their count; the i-th dead prototype takes the i-th sentence), as vector-quantisation codebooks restart
    /// dead codes: an unused prototype gets almost no gradient from the prototype loss and would otherwise stay dead.
    /// </summary>
    public void Reseed(IReadOnlyList<long> dead, Tensor sentences)
    {
        ArgumentNullException.ThrowIfNull(dead);
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.shape[0] < dead.Count)
            throw new ArgumentException($"{dead.Count} prototypes to restart but only {sentences.shape[0]} sentences.", nameof(sentences));
        var weight = embed.weight!;
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            for (int i = 0; i < dead.Count; i++)
                weight[dead[i]] = sentences[i].to(weight.device).to(weight.dtype);
        }
    }

    /// <summary>The prototype loss L_proto = mean |q − x| (weighted ×10 by the trainer).</summary>
    public static Tensor PrototypeLoss(Tensor prototypes, Tensor sentences) => nn.functional.l1_loss(prototypes, sentences);
}

/// <summary>What the bank gives for a set of sentences.</summary>
/// <param name="Prototypes">q = p·E, the sentences' prototype vectors.</param>
/// <param name="Logits">x·Eᵀ, before noise and temperature.</param>
/// <param name="Index">The most likely prototype of each sentence.</param>
public sealed record PrototypeAssignment(Tensor Prototypes, Tensor Logits, Tensor Index)
{
    /// <summary>Moves the three tensors out of the current dispose scope.</summary>
    public PrototypeAssignment MoveToOuterDisposeScope()
    {
        Prototypes.MoveToOuterDisposeScope();
        Logits.MoveToOuterDisposeScope();
        Index.MoveToOuterDisposeScope();
        return this;
    }
}
