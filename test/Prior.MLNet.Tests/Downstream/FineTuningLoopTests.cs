using Prior.MLNet.Downstream;
using Prior.MLNet.Trainers;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Downstream;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class FineTuningLoopTests
{
    [TestMethod]
    public void AStepWithANonFiniteGradientIsSkippedAndLeavesTheWeightsAlone()
    {
        using var network = nn.Linear(2, 1);
        using var tower = nn.Linear(1, 1);
        var before = network.weight!.clone();
        var options = new FineTuningOptions
        {
            Epochs = 1,
            BatchSize = 1,
            FreezeEncoder = true,
            HeadLearningRate = 0.1,
        };
        var lines = new List<string>();
        // Four single-example steps; only example 2 gives a NaN gradient (a square root of a negative number's gradient).
        int skipped = FineTuningLoop.Train(
            network,
            tower,
            tower.parameters().ToList(),
            network.parameters(),
            4,
            options,
            (batch, _) =>
            {
                var output = network.call(ones(1, 2)).sum();
                return batch[0] == 2 ? (output - output.detach() - 1).sqrt() : output * output;
            },
            lines.Add,
            "test"
        );
        Assert.AreEqual(1, skipped);
        StringAssert.Contains(lines.Single(), "1 step skipped");
        Assert.IsTrue(network.weight!.isfinite().all().item<bool>());
        Assert.IsGreaterThan(0f, (network.weight! - before).abs().max().item<float>(), "the three finite steps were applied");
    }

    [TestMethod]
    public void MostStepsNonFiniteIsAnError()
    {
        using var network = nn.Linear(2, 1);
        using var tower = nn.Linear(1, 1);
        var options = new FineTuningOptions
        {
            Epochs = 1,
            BatchSize = 1,
            FreezeEncoder = true,
        };
        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            FineTuningLoop.Train(
                network,
                tower,
                tower.parameters().ToList(),
                network.parameters(),
                3,
                options,
                (_, _) => (network.call(ones(1, 2)).sum() * float.NaN),
                null,
                "test"
            )
        );
        StringAssert.Contains(error.Message, "3 of 3 steps");
    }
}
