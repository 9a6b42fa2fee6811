using Prior.MLNet.Evaluation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Evaluation;

/// <summary>The prototype analysis scores the prototypes the bank gives each sentence, alone or inside its report.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PrototypeAnalysisTests
{
    [TestMethod]
    public void InReportsEachSentenceIsScoredWithItsInContextPrototypeAndUntypedOnesAreLeftOut()
    {
        var network = TestNetwork.Instance;
        var reports = TrainingFixture.Instance.Studies.Skip(200).Take(30).Select(s => s.Sentences).ToList();
        // A type per sentence text, and no type for sentences that start with a vowel (left out).
        static string? TypeOf(string sentence) => "AEIOU".Contains(sentence[0]) ? null : sentence.Split(' ')[0];

        var result = PrototypeAnalysis.AnalyzeInReports(
            network.Model,
            network.Tokenizer,
            reports,
            TypeOf,
            reports.SelectMany(r => r).ToList()
        );

        // The same assignment computed independently: every sentence encoded inside its report, through the bank.
        var encoded = SentenceVectors.Encode(network.Model, network.Tokenizer, reports);
        long[] index;
        using (var vectors = encoded.Vectors)
        using (no_grad())
            index = network.Model.sentence_bank.Assign(vectors, null).Index.data<long>().ToArray();
        var assigned = new List<int>();
        var types = new List<string>();
        for (int row = 0; row < index.Length; row++)
        {
            if (TypeOf(reports[encoded.Report[row]][encoded.Sentence[row]]) is not { } type)
                continue;
            assigned.Add((int)index[row]);
            types.Add(type);
        }
        Assert.IsGreaterThan(0, index.Length - assigned.Count, "some sentences are untyped");
        Assert.AreEqual(assigned.Count, result.Sentences);
        Assert.AreEqual(assigned.Distinct().Count(), result.PrototypesUsed);
        Assert.AreEqual(ClusteringMetrics.Purity(assigned, types), result.Purity, 1e-12);
        Assert.AreEqual(ClusteringMetrics.NormalizedMutualInformation(assigned, types), result.Nmi, 1e-12);
    }
}
