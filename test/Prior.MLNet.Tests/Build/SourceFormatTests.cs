namespace Prior.MLNet.Tests.Build;

/// <summary>
/// The source stays in the shape CSharpier gives it (.csharpierrc.json: 140 columns): no line longer than 140
/// characters in any C# file of the repository, so that code, comments and messages read without scrolling.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SourceFormatTests
{
    private const int MaximumLineLength = 140;

    [TestMethod]
    public void NoCSharpLineIsLongerThanTheFormattersWidth()
    {
        var tooLong = new List<string>();
        int files = 0;
        foreach (var path in Directory.EnumerateFiles(RepositoryPaths.Root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepositoryPaths.Root, path);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            // Build outputs and tool folders are not ours to format.
            if (parts.Any(p => p is "bin" or "obj" or ".git" or "node_modules") || parts[0].StartsWith('.'))
                continue;
            files++;
            var lines = File.ReadAllLines(path);
            for (int i = 0; i < lines.Length; i++)
                if (lines[i].Length > MaximumLineLength)
                    tooLong.Add($"{relative}:{i + 1}: {lines[i].Length} characters");
        }
        Assert.IsGreaterThan(300, files, "the repository's C# files were found");
        Assert.IsEmpty(
            tooLong,
            "run 'dotnet tool restore && dotnet csharpier format .' and wrap what it cannot:\n" + string.Join("\n", tooLong)
        );
    }
}
