using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Training;

/// <summary>The bank's usage figures, counted by hand: training's Gumbel-noisy choices and inference's noise-free ones.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PrototypeBankMonitorTests
{
    private static BankObservation Observation(long[] sampled, long[] noiseFree) =>
        new(tensor(sampled), zeros(sampled.Length, 4)) { NoiseFreeIndex = tensor(noiseFree) };

    [TestMethod]
    public void AnEpochReportsTheSampledAndTheNoiseFreeUsageSeparately()
    {
        using var scope = NewDisposeScope();
        using var monitor = new PrototypeBankMonitor(4, CPU);
        // The noise spreads six sentences over all four prototypes; without it every sentence goes to prototype 2.
        monitor.Observe(Observation([0, 1, 2], [2, 2, 2]));
        monitor.Observe(Observation([3, 3, 2], [2, 2, 2]));
        var usage = monitor.EndEpoch(PriorStage.Prototypes, 0, null!, restart: false, [], null!, seed: 1);
        Assert.AreEqual(6L, usage.Sentences);
        Assert.AreEqual(4, usage.Used);
        // Frequencies 1/6, 1/6, 2/6, 2/6: exp(entropy) by hand.
        double entropy = -(2 * (1.0 / 6) * Math.Log(1.0 / 6) + 2 * (2.0 / 6) * Math.Log(2.0 / 6));
        Assert.AreEqual(Math.Exp(entropy), usage.Perplexity, 1e-12);
        Assert.AreEqual(1, usage.UsedNoiseFree, "at inference one prototype takes every sentence");
        Assert.AreEqual(1.0, usage.PerplexityNoiseFree, 1e-12);
        StringAssert.Contains(usage.ToString(), "noise-free, as at inference: 1 used, perplexity 1.0");

        // The next epoch starts from zero.
        monitor.Observe(Observation([1], [3]));
        var next = monitor.EndEpoch(PriorStage.Prototypes, 1, null!, restart: false, [], null!, seed: 1);
        Assert.AreEqual((1L, 1, 1), (next.Sentences, next.Used, next.UsedNoiseFree));
    }

    [TestMethod]
    public void CheckpointCountsCarryBothKindsAndOlderCheckpointsStillRestore()
    {
        using var scope = NewDisposeScope();
        using var monitor = new PrototypeBankMonitor(3, CPU);
        monitor.Observe(Observation([0, 1, 1], [2, 2, 1]));
        CollectionAssert.AreEqual(new long[] { 1, 2, 0, 0, 1, 2 }, monitor.Counts());

        using var resumed = new PrototypeBankMonitor(3, CPU);
        resumed.Restore(monitor.Counts());
        CollectionAssert.AreEqual(monitor.Counts(), resumed.Counts());

        using var fromOlder = new PrototypeBankMonitor(3, CPU);
        fromOlder.Restore([4, 0, 1]); // a checkpoint written before the noise-free counts
        CollectionAssert.AreEqual(new long[] { 4, 0, 1, 0, 0, 0 }, fromOlder.Counts());
        Assert.ThrowsExactly<InvalidDataException>(() => fromOlder.Restore([1, 2]));
    }
}
