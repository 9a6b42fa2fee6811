using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (sentence_bank.embed).

namespace Prior.MLNet.Modeling;

/// <summary>
/// The sentence prototype memory bank (SPB): a codebook E [n, D] (N(0,1) init, no EMA). A sentence x gets
/// logits (x·Eᵀ in the original; see <see cref="PrototypeLogits"/>) and prototype q = p·E with
/// p = gumbel_softmax(logits, τ) (soft) in training and the noise-free softmax(logits/τ) at inference (our fix: the
/// original draws noise at test time too, so its embeddings vary).
/// </summary>
internal sealed class SentencePrototypeBank : nn.Module<Tensor, Tensor?, PrototypeAssignment>
{
    /// <summary>The codebook.</summary>
    public readonly Embedding embed;

    /// <summary>
    /// The centre μ [D] that <see cref="PrototypeLogits.CenteredCosine"/> scores around: the mean of the sentence
    /// vectors the bank starts from (<see cref="InitializeFromSentences"/> or <see cref="SetCenter"/>), then fixed. A
    /// running mean was measured and not kept: in coupled stage 3 the sentences drift, the centre follows them, the
    /// prototypes lag, and the bank collapsed (docs/training.md). Null, and absent from the state dict, with
    /// <see cref="PrototypeLogits.DotProduct"/>, so the original's checkpoints keep their keys.
    /// </summary>
    public readonly Tensor? center;

    /// <summary>Gumbel-softmax temperature τ (0.9 in PRIOR).</summary>
    public double Temperature { get; }

    /// <summary>The scale s of <see cref="PrototypeLogits.CenteredCosine"/> logits (unused by the dot product).</summary>
    public double LogitScale { get; }

    /// <summary>Creates a bank of <paramref name="prototypes"/> prototypes of width <paramref name="dim"/>.</summary>
    public SentencePrototypeBank(
        int dim,
        int prototypes,
        double temperature = 0.9,
        PrototypeLogits logits = PrototypeLogits.DotProduct,
        double logitScale = 10
    )
        : base(nameof(SentencePrototypeBank))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prototypes, 1);
        if (temperature <= 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be positive");
        if (!(logitScale > 0))
            throw new ArgumentOutOfRangeException(nameof(logitScale), logitScale, "must be positive");
        Temperature = temperature;
        LogitScale = logitScale;
        embed = nn.Embedding(prototypes, dim);
        using (no_grad())
            nn.init.normal_(embed.weight!);
        if (logits == PrototypeLogits.CenteredCosine)
            center = zeros(dim);
        RegisterComponents();
    }

    /// <summary>The logits [.., K] of sentence vectors [.., D] against every prototype, before noise and temperature.</summary>
    public Tensor Logits(Tensor sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var weight = embed.weight!;
        if (center is null)
            return sentences.matmul(weight.t());
        using var scope = NewDisposeScope();
        var mu = center.to(sentences.dtype);
        var x = nn.functional.normalize(sentences - mu, p: 2, dim: -1);
        var e = nn.functional.normalize(weight - mu, p: 2, dim: -1);
        return (x.matmul(e.t()) * LogitScale).MoveToOuterDisposeScope();
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
        var logits = Logits(sentences);
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
        var logits = Logits(sentences);
        var noisy = gumbelNoise is null ? logits : logits + gumbelNoise;
        var probabilities = (noisy / Temperature).softmax(-1);
        var prototypes = probabilities.matmul(embed.weight!);
        return new PrototypeAssignment(prototypes, logits, probabilities.argmax(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Sets the <see cref="center"/> to the mean of <paramref name="sentences"/> [N, D] (nothing to set for the dot
    /// product).</summary>
    public void SetCenter(Tensor sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (center is null)
            return;
        if (sentences.dim() != 2 || sentences.shape[1] != center.shape[0] || sentences.shape[0] == 0)
            throw new ArgumentException(
                $"sentences must be [N > 0, {center.shape[0]}]; got [{string.Join(", ", sentences.shape)}].",
                nameof(sentences)
            );
        using var scope = NewDisposeScope();
        using (no_grad())
            center.copy_(sentences.detach().to(center.dtype).to(center.device).mean([0]));
    }

    /// <summary>
    /// Replaces the codebook by the spherical k-means centres of <paramref name="sentences"/> [N, D], placed where the
    /// bank's logits rank them by cosine: with <see cref="PrototypeLogits.DotProduct"/> each centre is scaled to the
    /// sentences' mean norm (equal norms, so the dot product ranks by cosine); with
    /// <see cref="PrototypeLogits.CenteredCosine"/> the sentences' mean μ becomes the <see cref="center"/>, the
    /// clustering runs on x − μ, and each prototype is μ plus its centre at the mean distance from μ. Returns the
    /// clustering (its mean cosine tells the fit).
    /// </summary>
    public SphericalKMeans.Result InitializeFromSentences(Tensor sentences, long seed)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var weight = embed.weight!;
        if (sentences.dim() != 2 || sentences.shape[1] != weight.shape[1])
            throw new ArgumentException(
                $"sentences must be [N, {weight.shape[1]}]; got [{string.Join(", ", sentences.shape)}].",
                nameof(sentences)
            );
        using var scope = NewDisposeScope();
        var x = sentences.detach().to(weight.dtype).to(weight.device);
        SetCenter(x);
        var mu = center?.to(x.dtype) ?? zeros_like(x[0]);
        var result = SphericalKMeans.Fit(x - mu, (int)weight.shape[0], seed);
        using (no_grad())
        {
            var radius = (x - mu).norm(1).mean();
            weight.copy_(mu + result.Directions.to(weight.device).to(weight.dtype) * radius);
        }
        return new SphericalKMeans.Result(
            result.Directions.MoveToOuterDisposeScope(),
            result.Assignment.MoveToOuterDisposeScope(),
            result.MeanCosine
        );
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
/// <param name="Logits">The bank's logits (<see cref="SentencePrototypeBank.Logits"/>), before noise and temperature.</param>
/// <param name="Index">The most likely prototype of each sentence.</param>
internal sealed record PrototypeAssignment(Tensor Prototypes, Tensor Logits, Tensor Index)
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
