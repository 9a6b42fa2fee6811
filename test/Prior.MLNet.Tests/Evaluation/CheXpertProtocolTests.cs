using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tool.Commands;

namespace Prior.MLNet.Tests.Evaluation;

/// <summary>The pieces of the CheXpert protocol: label policy, unscorable labels, the published split, internal faults.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class CheXpertProtocolTests
{
    [TestMethod]
    public void ThePolicyIsNamedAndMapsBlankAndUncertainAsTheLoaderReadsThem()
    {
        Assert.AreEqual("blank=0,U-Zeros", CheXpertLabelPolicy.Published.Name);
        var ignore = new CheXpertLabelPolicy(BlankLabelPolicy.Ignore, UncertaintyPolicy.Ones);
        Assert.AreEqual("blank=ignored,U-Ones", ignore.Name);
        Assert.IsTrue(float.IsNaN(ignore.LoaderOptions("root", "valid.csv").BlankLabel));
        Assert.AreEqual(0f, CheXpertLabelPolicy.Published.LoaderOptions("root", "valid.csv").BlankLabel);
        Assert.AreEqual(UncertaintyPolicy.Ones, ignore.LoaderOptions("root", "valid.csv").UncertainLabels);
        Assert.ThrowsExactly<ArgumentException>(() =>
            new CheXpertLabelPolicy(BlankLabelPolicy.Negative, UncertaintyPolicy.Keep).Validate()
        );
    }

    [TestMethod]
    public void UnscorableLabelsAreNamedByWhatEachSetLacks()
    {
        // Two labels: A has both classes on both sides; B has no positive in the test set and NaNs (ignored) in training.
        var train = new[] { new LinearProbe.Example("a", [1, 1]), new("b", [0, float.NaN]), new("c", [1, 0]) };
        var test = new[] { new LinearProbe.Example("d", [0, 0]), new("e", [1, float.NaN]) };
        var reasons = LinearProbe.Unscorable(train, test, ["A", "B"], "train.csv", "valid.csv");
        CollectionAssert.AreEquivalent(new[] { "B" }, reasons.Keys.ToArray());
        Assert.AreEqual("no positive in valid.csv", reasons["B"]);
        var none = LinearProbe.Unscorable(train, [], ["A"], "train.csv", "valid.csv");
        Assert.AreEqual("no labelled image in valid.csv", none["A"]);
        var allPositive = LinearProbe.Unscorable([new("x", [1]), new("y", [1])], test, ["A"], "train.csv (1 %)", "valid.csv");
        Assert.AreEqual("no negative in train.csv (1 %)", allPositive["A"]);
    }

    [TestMethod]
    public void ThePublishedSplitIsSeededExcludesTheZeroShotImagesAndRoundTrips()
    {
        var paths = Enumerable.Range(0, 200).Select(i => $"train/patient{i:00000}/study1/view1_frontal.jpg").ToList();
        var excluded = new HashSet<string> { paths[3], paths[7] };
        var split = CheXpertProbeSplit.Assign(paths, excluded, seed: 5);
        Assert.HasCount(198, split);
        Assert.IsFalse(split.ContainsKey(paths[3]) || split.ContainsKey(paths[7]), "the zero-shot images go nowhere");
        Assert.AreEqual(19, split.Values.Count(v => v == "validation"), "a tenth of 198, rounded down");
        CollectionAssert.AreEquivalent(split.ToArray(), CheXpertProbeSplit.Assign(paths, excluded, seed: 5).ToArray(), "seeded");
        Assert.AreNotEqual(
            string.Join(",", split.Where(kv => kv.Value == "validation").Select(kv => kv.Key).Order()),
            string.Join(
                ",",
                CheXpertProbeSplit.Assign(paths, excluded, seed: 6).Where(kv => kv.Value == "validation").Select(kv => kv.Key).Order()
            )
        );
        var big = Enumerable.Range(0, 60_000).Select(i => $"train/p{i}/v.jpg").ToList();
        Assert.AreEqual(
            CheXpertProbeSplit.PublishedValidationImages,
            CheXpertProbeSplit.Assign(big, new HashSet<string>(), 1).Values.Count(v => v == "validation")
        );

        var file = Path.Combine(SyntheticFixture.NewTempFolder(), "split.csv");
        CheXpertProbeSplit.Write(file, split);
        CollectionAssert.AreEquivalent(split.ToArray(), CheXpertProbeSplit.Read(file).ToArray());
        File.AppendAllText(file, "train/x.jpg,test\n");
        var error = Assert.ThrowsExactly<InvalidDataException>(() => CheXpertProbeSplit.Read(file));
        StringAssert.Contains(error.Message, $"{file}, line 200: Split is 'test'");
    }

    [TestMethod]
    public void AnInternalFaultIsSaidToBeABugNotShownAsTheUsersProblem()
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        int code;
        try
        {
            code = CommandRunner.Run("probe", () => Array.Empty<int>().First());
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.AreEqual(1, code, "a bug is not the user's to fix (2)");
        StringAssert.StartsWith(
            error.ToString(),
            "prior probe: internal error (InvalidOperationException: Sequence contains no elements); this is a bug"
        );
    }
}
