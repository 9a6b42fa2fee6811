using System.Diagnostics;
using Prior.MLNet.Tests.Transforms;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// A project outside this repository, as a user writes one: it restores Prior.MLNet from a local package folder (made
/// here with dotnet pack), picks its own libtorch, builds, and runs a zero-shot prediction through ML.NET. On Debian 12
/// and Ubuntu 22.04 that works only because the package's buildTransitive targets patch libLibTorchSharp.so in the
/// consumer's output, which the test checks with readelf.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class OutsideProjectTests
{
    private static (int Code, string Output) Run(string workingDirectory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        // The repository's MSBuild settings must not leak into the outside project through the environment.
        info.Environment.Remove("MSBuildExtensionsPath");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    // Packs a project of the repository (already built in the tests' configuration) into `feed` under a unique version,
    // which keeps NuGet's caches honest, and returns that version.
    private static string Pack(string project, string feed)
    {
        var configuration = AppContext.BaseDirectory.Contains(
            $"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}",
            StringComparison.Ordinal
        )
            ? "Debug"
            : "Release";
        var version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var pack = Run(
            RepositoryPaths.Root,
            "dotnet",
            "pack",
            Path.Combine(RepositoryPaths.Root, project),
            "-c",
            configuration,
            "--no-build",
            "-o",
            feed,
            $"-p:PackageVersion={version}",
            "-nologo"
        );
        Assert.AreEqual(0, pack.Code, pack.Output);
        return version;
    }

    // The manifest of a package that Pack wrote.
    private static string Nuspec(string feed, string packageId, string version)
    {
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"{packageId}.{version}.nupkg"));
        using var reader = new StreamReader(package.Entries.Single(e => e.FullName == $"{packageId}.nuspec").Open());
        return reader.ReadToEnd();
    }

    // The package's manifest declares the MIT licence (Directory.Build.props), as NuGet shows it to users.
    private static void AssertMitLicence(string nuspec, string packageId) =>
        StringAssert.Contains(nuspec, "<license type=\"expression\">MIT</license>", $"{packageId} carries the MIT licence");

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void APackageConsumerRestoresBuildsAndRunsAZeroShotPrediction()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("This test builds a Linux consumer.");
        // Outside the repository: no Directory.Build.* of ours applies.
        var root = Directory.CreateTempSubdirectory("prior-consumer-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var version = Pack(Path.Combine("src", "Prior.MLNet", "Prior.MLNet.csproj"), feed);
            AssertMitLicence(Nuspec(feed, "Prior.MLNet", version), "Prior.MLNet");

            var app = Path.Combine(root, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(
                Path.Combine(app, "nuget.config"),
                $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """
            );
            File.WriteAllText(Path.Combine(app, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(app, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(
                Path.Combine(app, "Consumer.csproj"),
                $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <NoWarn>NU1603</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Prior.MLNet" Version="{version}" />
                    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
                  </ItemGroup>
                </Project>
                """
            );
            File.WriteAllText(
                Path.Combine(app, "Program.cs"),
                """
                using Microsoft.ML;
                using Microsoft.ML.Data;
                using Prior.MLNet.Evaluation;
                using Prior.MLNet.Transforms;

                var ml = new MLContext(seed: 1);
                using var network = PriorNetwork.Load(args[0]);
                var prompts = ZeroShotPrompts.For(ZeroShotPromptSet.Original,
                    ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion"]);
                var data = ml.Data.LoadFromEnumerable(new[] { new Input { ImagePath = args[1] } });
                var scored = ml.Transforms.PriorZeroShotClassification(network, prompts).Fit(data).Transform(data);
                var scores = scored.GetColumn<float[]>("Score").Single();
                Console.WriteLine("scores " + string.Join(" ", scores.Select(s => s.ToString("0.0000"))));

                public sealed class Input
                {
                    public string ImagePath { get; set; } = "";
                }
                """
            );
            var model = Path.Combine(root, "model.zip");
            TestNetwork.Instance.Save(model);
            var image = Training.TrainingFixture.Instance.Studies[0].ImagePaths[0];

            var build = Run(app, "dotnet", "build", "-c", "Release", "-nologo");
            Assert.AreEqual(0, build.Code, build.Output);
            var output = Path.Combine(app, "bin", "Release", "net10.0");
            var libtorchsharp = Directory.EnumerateFiles(output, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
            var readelf = Run(app, "readelf", "-V", "--wide", libtorchsharp);
            var requirement = readelf.Output.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));
            StringAssert.Contains(requirement, "WEAK", "the package's targets patched the consumer's copy");

            var run = Run(app, "dotnet", Path.Combine(output, "Consumer.dll"), model, image);
            Assert.AreEqual(0, run.Code, run.Output);
            var line = run.Output.Split('\n').Single(l => l.StartsWith("scores ", StringComparison.Ordinal));
            Assert.HasCount(5, line["scores ".Length..].Trim().Split(' '));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    public void TheSiblingPackagesCarryTheLicenceAndTheLibraryLeavesOnnxToThem()
    {
        var root = Directory.CreateTempSubdirectory("prior-packages-").FullName;
        try
        {
            foreach (var id in new[] { "Prior.MLNet", "Prior.MLNet.Onnx", "Prior.MLNet.Synthetic" })
            {
                var version = Pack(Path.Combine("src", id, id + ".csproj"), root);
                var nuspec = Nuspec(root, id, version);
                AssertMitLicence(nuspec, id);
                if (id == "Prior.MLNet")
                {
                    // ONNX export's protobuf stack stays out of the core package; ML.NET is pinned to the tested minor version.
                    Assert.DoesNotContain("OnnxSharp", nuspec);
                    Assert.DoesNotContain("Google.Protobuf", nuspec);
                    StringAssert.Contains(nuspec, "id=\"Microsoft.ML\" version=\"[5.0.1, 5.1.0)\"");
                }
                else
                {
                    StringAssert.Contains(
                        nuspec,
                        $"id=\"Prior.MLNet\" version=\"[{version}]\"",
                        "a sibling uses the library's internals: it needs exactly its version"
                    );
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void TheToolPackageInstallsWithDotnetToolAndClassifies()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("This test installs the Linux tool package.");
        var root = Directory.CreateTempSubdirectory("prior-tool-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var version = Pack(Path.Combine("src", "Prior.MLNet.Tool", "Prior.MLNet.Tool.csproj"), feed);
            AssertMitLicence(Nuspec(feed, "Prior.MLNet.Tool", version), "Prior.MLNet.Tool");

            var tools = Path.Combine(root, "tools");
            var install = Run(
                root,
                "dotnet",
                "tool",
                "install",
                "--tool-path",
                tools,
                "Prior.MLNet.Tool",
                "--add-source",
                feed,
                "--version",
                version
            );
            Assert.AreEqual(0, install.Code, install.Output);
            var prior = Path.Combine(tools, "prior");
            Assert.IsTrue(File.Exists(prior), "dotnet tool install gives a `prior` command");

            // The product alone: the benchmarks (and NetVips, which only they compare against) and the research
            // harnesses are programs of their own.
            var installed = Directory.EnumerateFiles(tools, "*.dll", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
            Assert.IsFalse(installed.Any(f => f!.StartsWith("NetVips", StringComparison.OrdinalIgnoreCase)), string.Join(", ", installed));
            Assert.IsFalse(installed.Any(f => f!.StartsWith("prior-", StringComparison.Ordinal)), string.Join(", ", installed));
            var priorDll = Directory.EnumerateFiles(tools, "prior.dll", SearchOption.AllDirectories).Single();
            using (var metadata = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(priorDll)))
            {
                var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(metadata);
                var types = reader.TypeDefinitions.Select(t => reader.GetString(reader.GetTypeDefinition(t).Name)).ToList();
                Assert.IsFalse(
                    types.Any(t => t.Contains("Benchmark", StringComparison.Ordinal) || t.Contains("Ablate", StringComparison.Ordinal)),
                    string.Join(", ", types)
                );
                Assert.Contains("PretrainCommand", types);
            }

            // The tool carries libtorch (left out of publish output before Publish="true") and the GLIBCXX patch.
            var libtorchsharp = Directory.EnumerateFiles(tools, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
            Assert.IsTrue(
                File.Exists(Path.Combine(Path.GetDirectoryName(libtorchsharp)!, "libtorch_cpu.so")),
                "libtorch is in the tool package"
            );
            var readelf = Run(root, "readelf", "-V", "--wide", libtorchsharp);
            StringAssert.Contains(
                readelf.Output.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal)),
                "WEAK"
            );

            var model = Path.Combine(root, "model.zip");
            TestNetwork.Instance.Save(model);
            var list = Path.Combine(root, "images.txt");
            File.WriteAllLines(list, Training.TrainingFixture.Instance.Studies.Take(3).Select(s => s.ImagePaths[0]));
            var output = Path.Combine(root, "classes.tsv");
            var classify = Run(root, prior, "classify", "--model", model, "--images", list, "--out", output);
            Assert.AreEqual(0, classify.Code, classify.Output);
            Assert.HasCount(4, File.ReadAllLines(output));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
