using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Training;

/// <summary>
/// TorchSharp 0.107 frees implicit scalars from the finalizer while libtorch still reads them when a collection
/// happens mid-call (see <see cref="TorchGcGuard"/>). Without the guard this loop, with another thread allocating,
/// crashes the process within seconds on this machine; with it, it must run clean.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class TorchGcGuardTests
{
    [TestMethod]
    public void ScalarHeavyTorchCallsSurviveConcurrentAllocationInsideTheGuard()
    {
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(() =>
        {
            var keep = new List<byte[]>();
            while (!stop.IsCancellationRequested)
            {
                keep.Add(new byte[64 * 1024]);
                if (keep.Count > 50)
                    keep.Clear();
            }
        });
        using var counter = zeros(1, dtype: ScalarType.Int64);
        using var y = ones(16);
        long operations = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < 3)
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = NewDisposeScope();
            for (int i = 0; i < 1000; i++, operations++)
            {
                counter.add_(1);
                _ = y + y;
            }
        }
        stop.Cancel();
        churn.Wait();
        Assert.AreEqual(operations, counter.item<long>());
    }
}
