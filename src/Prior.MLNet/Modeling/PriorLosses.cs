using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// The named loss terms of one step and their weighted total. The stage weights live here, in one place
/// (method.md §3): stage 1 L_global + L_local_img + L_local_txt; stage 2 adds 10·L_proto; stage 3 is
/// 10·L_global + L_local_img + L_local_txt + L_rec_img + 10·L_spg + L_kl + L_gpa + 10·L_proto.
/// </summary>
internal sealed class PriorLosses
{
    /// <summary>The unweighted terms by name: global, localImage, localText, proto, reconstruction, spg, kl, gpa (and globalRaw, with <see
    /// cref="PriorModelOptions.KeepRawGlobalAlignment"/>).</summary>
    public IReadOnlyDictionary<string, Tensor> Terms { get; }

    /// <summary>The weighted sum that is back-propagated.</summary>
    public Tensor Total { get; }

    /// <summary>
    /// In stages 2 and 3: the bank's choice for each real sentence of the batch and the sentence vectors
    /// (detached), for usage statistics and dead-prototype restarts. Null in stage 1.
    /// </summary>
    public BankObservation? Bank { get; init; }

    /// <summary>Combines the terms with the weights of <paramref name="stage"/>.</summary>
    public PriorLosses(PriorStage stage, IReadOnlyDictionary<string, Tensor> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        Terms = terms;
        Tensor? total = null;
        foreach (var (name, term) in terms)
        {
            var weighted = term * Weight(stage, name);
            total = total is null ? weighted : total + weighted;
        }
        Total = total ?? throw new ArgumentException("No loss term.", nameof(terms));
    }

    /// <summary>
    /// Every term's value and the total's (under "total"), read in one device-to-host transfer: on a GPU each
    /// <c>item()</c> would be a synchronisation of its own.
    /// </summary>
    public IReadOnlyDictionary<string, double> ReadValues()
    {
        using var scope = NewDisposeScope();
        var names = Terms.Keys.Append("total").ToArray();
        var values = stack(
                Terms.Values.Append(Total).Select(v => v.detach().to_type(TorchSharp.torch.ScalarType.Float32).reshape(1)).ToArray()
            )
            .cpu()
            .data<float>()
            .ToArray();
        return Enumerable.Range(0, names.Length).ToDictionary(i => names[i], i => (double)values[i]);
    }

    /// <summary>The weight of a term in a stage.</summary>
    public static double Weight(PriorStage stage, string term) =>
        term switch
        {
            "global" or "globalRaw" => stage == PriorStage.Reconstruction ? 10 : 1,
            "proto" or "spg" => 10,
            "localImage" or "localText" or "reconstruction" or "kl" or "gpa" => 1,
            _ => throw new ArgumentException($"Unknown loss term '{term}'.", nameof(term)),
        };
}

/// <summary>What the sentence bank saw in one step.</summary>
/// <param name="Index">The chosen prototype of each real sentence [N] (int64): the most likely one after the Gumbel noise of training
/// mode.</param>
/// <param name="Sentences">The real sentences' vectors [N, D], detached.</param>
internal sealed record BankObservation(Tensor Index, Tensor Sentences)
{
    /// <summary>
    /// Each real sentence's noise-free choice [N] (the argmax of its logits, as inference assigns); null when not
    /// observed. <see cref="Index"/> in training is the Gumbel-noisy choice, a sample from the softmax.
    /// </summary>
    public Tensor? NoiseFreeIndex { get; init; }
}
