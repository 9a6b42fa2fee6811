namespace Prior.MLNet.Tests;

/// <summary>Removes the run's temporary data (synthetic datasets, indexes) when the test run ends.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public static class TestRunCleanup
{
    [AssemblyCleanup]
    public static void RemoveTemporaryData()
    {
        if (Directory.Exists(SyntheticFixture.RunFolder))
            Directory.Delete(SyntheticFixture.RunFolder, recursive: true);
    }
}
