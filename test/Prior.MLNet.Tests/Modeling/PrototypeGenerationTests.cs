using Prior.MLNet.Modeling;
using Prior.MLNet.Modeling.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PrototypeGenerationTests
{
    [TestMethod]
    public void HungarianEqualsBruteForceOverAllPermutations()
    {
        var random = new Random(11);
        for (int n = 1; n <= 7; n++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                var cost = new double[n, n];
                for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    cost[i, j] = trial % 3 == 0 ? random.Next(4) : random.NextDouble() * 10; // ties included
                var assignment = HungarianAlgorithm.Solve(cost);
                CollectionAssert.AreEquivalent(Enumerable.Range(0, n).ToArray(), assignment, "a permutation");
                double best = Permutations(n).Min(p => Enumerable.Range(0, n).Sum(i => cost[i, p[i]]));
                Assert.AreEqual(best, Enumerable.Range(0, n).Sum(i => cost[i, assignment[i]]), 1e-9);
            }
        }
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0)
        {
            yield return [];
            yield break;
        }
        foreach (var rest in Permutations(n - 1))
            for (int k = 0; k <= rest.Length; k++)
                yield return rest.Take(k).Append(n - 1).Concat(rest.Skip(k)).ToArray();
    }

    [TestMethod]
    public void LossesAndAssignmentMatchTheOriginalAndTheMatchedFix()
    {
        using var scope = NewDisposeScope();
        var f = ParityFixture.Load("prototype_generation_loss");
        using var bank = new SentencePrototypeBank(32, 24);
        bank.load_state_dict(ParityFixture.Parameters(f, "sentence_bank."), strict: true);
        bank.eval();
        using var noGrad = no_grad();
        var assigned = bank.call(f["sentences"]);
        var (prototypes, mask) = ParityHelpers.Pad(assigned.Prototypes, f["sentence_counts"], 16);
        ParityFixture.AssertClose(f["padded_prototypes"], prototypes, "padded prototypes");
        CollectionAssert.AreEqual(f["sentence_mask"].to_type(ScalarType.Bool).data<bool>().ToArray(), mask.data<bool>().ToArray());
        var (logits, _) = ParityHelpers.Pad(assigned.Logits, f["sentence_counts"], 16);

        var original = PrototypeGenerationLoss.Compute(
            f["predictions"],
            prototypes,
            mask,
            logits,
            bank.embed.weight!,
            PrototypeMatching.OriginalIndexing
        );
        CollectionAssert.AreEqual(f["assignment_col_ind"].data<long>().ToArray(), original.Assignment.data<long>().ToArray());
        ParityFixture.AssertClose(f["spg_loss_original"].reshape(), 10 * original.SpgLoss, "L_spg (original indexing) x10");
        ParityFixture.AssertClose(f["kl_loss_original"].reshape(), original.KlLoss, "L_kl (original indexing)");

        var matched = PrototypeGenerationLoss.Compute(f["predictions"], prototypes, mask, logits, bank.embed.weight!);
        ParityFixture.AssertClose(f["spg_loss_matched"].reshape(), 10 * matched.SpgLoss, "L_spg (matched) x10");
        // The matched permutation is the optimum the assignment found, so it cannot cost more than the original's.
        Assert.IsLessThanOrEqualTo(original.SpgLoss.item<float>() + 1e-6f, matched.SpgLoss.item<float>());
    }

    [TestMethod]
    public void PredictionsEqualToShuffledTargetsGiveZeroMatchedLoss()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        var targets = randn(2, 6, 4);
        var permutation = tensor(new long[] { 3, 0, 5, 1, 4, 2 });
        var predictions = targets.index_select(1, permutation);
        var mask = ones(2, 6, dtype: ScalarType.Bool);
        var bank = randn(5, 4);
        var logits = targets.matmul(bank.t());
        var result = PrototypeGenerationLoss.Compute(predictions, targets, mask, logits, bank);
        Assert.AreEqual(0, result.SpgLoss.item<float>(), 1e-6);
        Assert.AreEqual(0, result.KlLoss.item<float>(), 1e-5);
        // Prediction i holds target permutation[i], so the assignment is the permutation itself.
        CollectionAssert.AreEqual(permutation.data<long>().ToArray(), result.Assignment[0].data<long>().ToArray());
    }
}
