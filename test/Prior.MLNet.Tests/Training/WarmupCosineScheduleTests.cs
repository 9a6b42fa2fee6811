using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Training;

[TestClass]
public sealed class WarmupCosineScheduleTests
{
    [TestMethod]
    public void WarmsUpLinearlyThenDecaysByCosineToZero()
    {
        var schedule = new WarmupCosineSchedule(Start: 1e-7, Peak: 1e-5, WarmupSteps: 10, TotalSteps: 110);
        Assert.AreEqual(1e-7, schedule.At(0), 1e-15);
        Assert.AreEqual(1e-7 + (1e-5 - 1e-7) * 0.5, schedule.At(5), 1e-15);
        Assert.AreEqual(1e-5, schedule.At(10), 1e-15);
        Assert.AreEqual(0.5e-5, schedule.At(60), 1e-15);                  // half-way through the decay: cos(π/2) = 0
        Assert.AreEqual(0.5e-5 * (1 + Math.Cos(Math.PI * 0.25)), schedule.At(35), 1e-15);
        Assert.AreEqual(0, schedule.At(110), 1e-15);
        Assert.AreEqual(0, schedule.At(500), 1e-15);
    }
}
