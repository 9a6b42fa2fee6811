using Prior.MLNet.Synthetic;

namespace Prior.MLNet.Tests;

/// <summary>
/// One synthetic dataset shared by the data tests (generated once per test run, in a temp folder): enough
/// studies and a high defect rate so that every kind of defect occurs, and enough CheXpert images for 5x200.
/// </summary>
internal static class SyntheticFixture
{
    /// <summary>This test run's temp folder, removed when the run ends.</summary>
    public static string RunFolder { get; } =
        Path.Combine(Path.GetTempPath(), "prior-mlnet-tests", $"run-{Environment.ProcessId}-{Guid.NewGuid():N}");

    private static readonly Lazy<(string Root, SyntheticManifest Manifest)> Data = new(
        () =>
        {
            var root = Path.Combine(RunFolder, "synth");
            var manifest = SyntheticDatasetGenerator.Generate(Options(root));
            return (root, manifest);
        },
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static SyntheticDatasetOptions Options(string output, long seed = 7) =>
        new()
        {
            OutputDirectory = output,
            Studies = 200,
            CheXpertImages = 2600,
            ImageSize = 64,
            Seed = seed,
            DefectRate = 0.15,
        };

    public static string Root => Data.Value.Root;

    public static SyntheticManifest Manifest => Data.Value.Manifest;

    public static string MimicJpg => Path.Combine(Root, SyntheticDatasetGenerator.MimicJpgFolder);

    public static string MimicReports => Path.Combine(Root, SyntheticDatasetGenerator.MimicReportsFolder, "files");

    public static string CheXpert => Path.Combine(Root, "CheXpert-v1.0-small");

    /// <summary>A fresh empty folder for a test's own outputs.</summary>
    public static string NewTempFolder()
    {
        var dir = Path.Combine(RunFolder, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
