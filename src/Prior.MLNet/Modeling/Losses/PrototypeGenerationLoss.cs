using static TorchSharp.torch;

namespace Prior.MLNet.Modeling.Losses;

/// <summary>Which permutation of the predictions the prototype generation loss compares with the targets.</summary>
internal enum PrototypeMatching
{
    /// <summary>The permutation the Hungarian assignment found (prediction i ↔ target col_ind[i]). Our fix.</summary>
    Matched,

    /// <summary>The original's <c>predictions[col_ind]</c>, the inverse of that permutation (for parity only).</summary>
    OriginalIndexing,
}

/// <summary>
/// PRIOR's non-autoregressive report reconstruction losses. Each report's real sentence prototypes are zero-padded to
/// S slots; the decoder predicts S vectors; a Hungarian assignment on the L1 distances matches predictions to
/// slots. L_spg = mean |matched predictions − padded prototypes| (×10 in training) and
/// L_kl = KL(softmax(SPB logits of the real sentences) ‖ softmax(matched predictions of those slots · Eᵀ)).
/// </summary>
internal static class PrototypeGenerationLoss
{
    /// <summary>Computes both losses (unweighted) and the assignment.</summary>
    /// <param name="predictions">Decoder output [B, S, D].</param>
    /// <param name="prototypes">Sentence prototypes, zero-padded [B, S, D].</param>
    /// <param name="mask">[B, S], true for the real sentences (the first n_b slots).</param>
    /// <param name="sentenceLogits">SPB logits of the sentences, [B, S, K] (padded rows ignored).</param>
    /// <param name="bank">The codebook E [K, D]; the predictions' logits are their dot products with it (the original's bank).</param>
    /// <param name="matching">Which permutation to use; <see cref="PrototypeMatching.Matched"/> for training.</param>
    public static PrototypeGenerationResult Compute(
        Tensor predictions,
        Tensor prototypes,
        Tensor mask,
        Tensor sentenceLogits,
        Tensor bank,
        PrototypeMatching matching = PrototypeMatching.Matched
    )
    {
        ArgumentNullException.ThrowIfNull(bank);
        return Compute(predictions, prototypes, mask, sentenceLogits, x => x.matmul(bank.t()), matching);
    }

    /// <summary>Computes both losses (unweighted) and the assignment, scoring predictions as the bank scores sentences.</summary>
    /// <param name="predictions">Decoder output [B, S, D].</param>
    /// <param name="prototypes">Sentence prototypes, zero-padded [B, S, D].</param>
    /// <param name="mask">[B, S], true for the real sentences (the first n_b slots).</param>
    /// <param name="sentenceLogits">SPB logits of the sentences, [B, S, K] (padded rows ignored).</param>
    /// <param name="bankLogits">The bank's logits of vectors [N, D] (<see cref="SentencePrototypeBank.Logits"/>), so that
    /// L_kl compares the two distributions on the same scale.</param>
    /// <param name="matching">Which permutation to use; <see cref="PrototypeMatching.Matched"/> for training.</param>
    public static PrototypeGenerationResult Compute(
        Tensor predictions,
        Tensor prototypes,
        Tensor mask,
        Tensor sentenceLogits,
        Func<Tensor, Tensor> bankLogits,
        PrototypeMatching matching = PrototypeMatching.Matched
    )
    {
        ArgumentNullException.ThrowIfNull(bankLogits);
        using var scope = NewDisposeScope();
        long batch = predictions.shape[0],
            slots = predictions.shape[1];
        var assignments = new long[batch, slots];
        var orders = new List<Tensor>();
        using (no_grad())
        {
            var costs = cdist(predictions.detach().to_type(ScalarType.Float64), prototypes.detach().to_type(ScalarType.Float64), p: 1)
                .cpu();
            for (int b = 0; b < batch; b++)
            {
                var cost = new double[slots, slots];
                var values = costs[b].data<double>().ToArray();
                for (int i = 0; i < slots; i++)
                for (int j = 0; j < slots; j++)
                    cost[i, j] = values[i * slots + j];
                var columns = HungarianAlgorithm.Solve(cost);
                for (int i = 0; i < slots; i++)
                    assignments[b, i] = columns[i];
                // Matched: slot j takes the prediction i with columns[i] == j (argsort of col_ind).
                var order =
                    matching == PrototypeMatching.OriginalIndexing
                        ? columns.Select(c => (long)c).ToArray()
                        : Enumerable.Range(0, (int)slots).OrderBy(i => columns[i]).Select(i => (long)i).ToArray();
                orders.Add(tensor(order, device: predictions.device));
            }
        }
        var index = stack(orders).unsqueeze(-1).expand(-1, -1, predictions.shape[2]);
        var arranged = predictions.gather(1, index); // [B, S, D]
        var spg = nn.functional.l1_loss(arranged, prototypes);

        var valid = mask.to_type(ScalarType.Bool);
        var target = sentenceLogits[valid].log_softmax(-1); // [N, K]
        var input = bankLogits(arranged[valid]).log_softmax(-1);
        var kl = (target.exp() * (target - input)).sum() / target.shape[0];
        var col = tensor(assignments.Cast<long>().ToArray(), [batch, slots]);
        return new PrototypeGenerationResult(
            spg.MoveToOuterDisposeScope(),
            kl.MoveToOuterDisposeScope(),
            col.MoveToOuterDisposeScope(),
            arranged.MoveToOuterDisposeScope()
        );
    }
}

/// <summary>The two losses and the assignment (SciPy's col_ind per report).</summary>
/// <param name="SpgLoss">L_spg, unweighted.</param>
/// <param name="KlLoss">L_kl.</param>
/// <param name="Assignment">[B, S] int64: the target slot assigned to each prediction.</param>
/// <param name="Arranged">The predictions in target-slot order [B, S, D] (what the losses compared).</param>
internal sealed record PrototypeGenerationResult(Tensor SpgLoss, Tensor KlLoss, Tensor Assignment, Tensor Arranged);
