using System.Diagnostics;
using System.Text.Json;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// The TorchBackend MSBuild property selects the libtorch package. The CUDA packages cannot be restored here, so
/// these tests evaluate the library project for each backend and OS and read back its package references.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class TorchBackendSwitchTests
{
    private static string LibraryProject => Path.Combine(RepositoryPaths.Root, "src", "Prior.MLNet", "Prior.MLNet.csproj");

    [TestMethod]
    [DataRow("cpu", "Linux", "libtorch-cpu-linux-x64")]
    [DataRow("cpu", "Windows", "libtorch-cpu-win-x64")]
    [DataRow("cuda", "Windows", "TorchSharp-cuda-windows")]
    [DataRow("cuda", "Linux", "TorchSharp-cuda-linux")]
    public void BackendPropertySelectsExactlyOneLibTorchPackage(string backend, string os, string expected)
    {
        var references = EvaluatePackageReferences($"-p:TorchBackend={backend}", $"-p:TorchTargetOS={os}");
        var backends = references
            .Where(r =>
                r.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase)
                || r.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase)
            )
            .ToList();
        CollectionAssert.AreEqual(new[] { expected }, backends, string.Join(", ", references));
        CollectionAssert.Contains(references, "TorchSharp");
    }

    [TestMethod]
    public void DefaultIsTheCpuBackendOfTheBuildingOs()
    {
        var references = EvaluatePackageReferences();
        var expected =
            OperatingSystem.IsWindows() ? "libtorch-cpu-win-x64"
            : OperatingSystem.IsMacOS() ? "libtorch-cpu-osx-arm64"
            : "libtorch-cpu-linux-x64";
        CollectionAssert.Contains(references, expected);
        Assert.IsFalse(references.Any(r => r.Contains("cuda", StringComparison.OrdinalIgnoreCase)));
    }

    private static List<string> EvaluatePackageReferences(params string[] properties)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var arg in new[] { "msbuild", LibraryProject, "-getItem:PackageReference", "-nologo" }.Concat(properties))
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"dotnet msbuild failed: {stderr}{stdout.Result}");
        using var json = JsonDocument.Parse(stdout.Result);
        return json
            .RootElement.GetProperty("Items")
            .GetProperty("PackageReference")
            .EnumerateArray()
            .Select(item => item.GetProperty("Identity").GetString()!)
            .ToList();
    }
}
