using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Benchmarks;

/// <summary><c>prior-bench</c>, run as a separate process: each part runs at small sizes and writes its figures.</summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class BenchCommandTests
{
    private static (int Code, string Out, string Err) RunBench(params string[] args) => RunProgram("prior-bench", args);

    [TestMethod]
    public void TheDecodeBenchmarkRunsOnRadiographSizedJpegsAndWritesItsFigures()
    {
        // What is asserted is that the comparison runs and reports; its speeds are measured by the command, not a test.
        var dir = SyntheticFixture.NewTempFolder();
        var json = Path.Combine(dir, "bench.json");
        var result = RunBench("--suite", "decode", "--images", "2", "--work", Path.Combine(dir, "jpegs"), "--json", json);
        Assert.AreEqual(0, result.Code, result.Err);
        StringAssert.Contains(result.Out, "2544 × 3056");
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.IsGreaterThan(0, figures.RootElement.GetProperty("decodeImagesPerSecond").GetDouble());
        Assert.IsGreaterThan(0, figures.RootElement.GetProperty("decodeVsFullDecode").GetDouble());
        Assert.IsGreaterThan(0, figures.RootElement.GetProperty("smallDecodeVsSkiaSharp").GetDouble());
        Assert.IsGreaterThan(0, figures.RootElement.GetProperty("tinyDecodeVsSkiaSharp").GetDouble());
        Assert.HasCount(2, Directory.GetFiles(Path.Combine(dir, "jpegs"), "*.jpg"));
        Assert.HasCount(400, Directory.GetFiles(Path.Combine(dir, "jpegs", "small"), "*.jpg"));
        Assert.AreEqual(2, RunBench("--suite", "nonsense").Code);
    }

    [TestMethod]
    public void TheIndexComputeAndPeakBenchmarksRunAtSmallSizesAndWriteTheirFigures()
    {
        // Speeds are the command's to measure; asserted: each part runs, reports every size and its figures are sane.
        var dir = SyntheticFixture.NewTempFolder();
        var json = Path.Combine(dir, "bench.json");
        var result = RunBench(
            "--suite",
            "index,compute,peak",
            "--index-studies",
            "40,120",
            "--presets",
            "tiny",
            "--work",
            dir,
            "--json",
            json
        );
        Assert.AreEqual(0, result.Code, result.Err);
        StringAssert.Contains(result.Out, "3x the studies");
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        var root = figures.RootElement;
        var runs = root.GetProperty("indexRuns").EnumerateArray().ToList();
        Assert.HasCount(2, runs);
        Assert.AreEqual(120, runs[1].GetProperty("studies").GetDouble());
        Assert.IsGreaterThan(runs[0].GetProperty("accepted").GetDouble(), runs[1].GetProperty("accepted").GetDouble());
        Assert.IsGreaterThan(0, root.GetProperty("indexLoadStudiesPerSecond").GetDouble());
        // A ratio of achieved to matrix-multiply GFLOP/s: positive, and no convolution beats the machine's best GEMM by 2×.
        double efficiency = root.GetProperty("encoderVsMatmulTiny").GetDouble();
        Assert.IsTrue(efficiency > 0 && efficiency < 2, $"encoderVsMatmulTiny {efficiency}");
        var peaks = root.GetProperty("peakMemory").EnumerateArray().ToList();
        Assert.HasCount(2, peaks); // tiny at batch 16 and 64
        Assert.IsGreaterThan(0, peaks[0].GetProperty("peakMb").GetDouble());
        Assert.AreEqual(2, RunBench("--suite", "index", "--index-studies", "5").Code);
    }
}
