namespace Prior.MLNet.Tests;

/// <summary>Locates the repository and the test data folder from the test output folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder that holds Prior.MLNet.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Test data copied beside the test assembly.</summary>
    public static string TestData => Path.Combine(AppContext.BaseDirectory, "TestData");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Prior.MLNet.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"Prior.MLNet.sln not found above {AppContext.BaseDirectory}.");
    }
}
