using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Training;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class WarmupCosineScheduleTests
{
    [TestMethod]
    public void WarmsUpLinearlyThenDecaysByCosineToZero()
    {
        var schedule = new WarmupCosineSchedule(Start: 1e-7, Peak: 1e-5, WarmupSteps: 10, TotalSteps: 110);
        Assert.AreEqual(1e-7, schedule.At(0), 1e-15);
        Assert.AreEqual(1e-7 + (1e-5 - 1e-7) * 0.5, schedule.At(5), 1e-15);
        Assert.AreEqual(1e-5, schedule.At(10), 1e-15);
        Assert.AreEqual(0.5e-5, schedule.At(60), 1e-15); // half-way through the decay: cos(π/2) = 0
        Assert.AreEqual(0.5e-5 * (1 + Math.Cos(Math.PI * 0.25)), schedule.At(35), 1e-15);
        Assert.AreEqual(0, schedule.At(110), 1e-15);
        Assert.AreEqual(0, schedule.At(500), 1e-15);
    }
}

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class TrainingLogTests
{
    [TestMethod]
    public void ProgressReachesMLContextLogSubscribersAndTheNextCallback()
    {
        var ml = new Microsoft.ML.MLContext();
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source == "PriorTrainer")
                lock (messages)
                    messages.Add(e.Message);
        };
        int forwarded = 0;
        var log = TrainingLog.ToMLContext(ml, _ => forwarded++);
        var losses = new Dictionary<string, double> { ["total"] = 1.5 };
        log(new TrainingProgress(Prior.MLNet.Modeling.PriorStage.Alignment, 0, 1, 2, 2, losses, 1e-4, 10, 0));
        Assert.AreEqual(1, forwarded);
        Assert.IsTrue(
            messages.Any(m =>
                m.Contains("stage 1 epoch 1 step 2/2", StringComparison.Ordinal) && m.Contains("total 1.5000", StringComparison.Ordinal)
            ),
            string.Join("\n", messages)
        );
    }
}
