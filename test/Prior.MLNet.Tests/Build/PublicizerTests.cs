using System.Diagnostics;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// tools-local/Publicizer makes the publicized ML.NET copies the library compiles against. Its up-to-date check is keyed
/// on the input's content, so a package change is never missed, whatever the files' dates say.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PublicizerTests
{
    [TestMethod]
    public void ACopyIsRemadeWhenTheInputsBytesChangeEvenIfTheInputIsOlder()
    {
        // The configuration the tests were built in, as the Publicizer was.
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}")
            ? "Debug"
            : "Release";
        var publicizer = Path.Combine(RepositoryPaths.Root, "tools-local", "Publicizer", "bin", configuration, "net10.0", "Publicizer.dll");
        Assert.IsTrue(File.Exists(publicizer), $"{publicizer}: build the solution first");
        var dir = SyntheticFixture.NewTempFolder();
        var input = Path.Combine(dir, "input.dll");
        var output = Path.Combine(dir, "out", "input.dll");
        File.Copy(typeof(AssemblyReferences).Assembly.Location, input);
        Run(publicizer, input, output);
        var first = File.ReadAllBytes(output);

        // Unchanged input: the copy is left as it is.
        File.SetLastWriteTimeUtc(output, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Run(publicizer, input, output);
        Assert.AreEqual(2001, File.GetLastWriteTimeUtc(output).Year, "an up-to-date copy is not rewritten");

        // Another assembly in the input's place, dated before the copy (a package downgrade): the copy is remade.
        File.Copy(typeof(Prior.MLNet.Transforms.PriorCatalog).Assembly.Location, input, overwrite: true);
        File.SetLastWriteTimeUtc(input, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Run(publicizer, input, output);
        CollectionAssert.AreNotEqual(first, File.ReadAllBytes(output), "a changed input makes a new copy whatever its date");
        Assert.AreNotEqual(2001, File.GetLastWriteTimeUtc(output).Year);
    }

    private static void Run(string publicizer, string input, string output)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { publicizer, input, output })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, error.Result);
    }
}
