namespace Prior.MLNet.Tests;

/// <summary>
/// Every test class carries one of these (TestCategoriesTests checks it). The fast set is
/// <c>dotnet test Prior.MLNet.sln -c Release --filter TestCategory=Unit</c>; CI runs all three.
/// </summary>
internal static class TestCategories
{
    /// <summary>In process, no other program, seconds at most: formulas, parsers, modules, metrics, loaders.</summary>
    public const string Unit = "Unit";

    /// <summary>Trains small models, checks parity with the original's numbers, runs the tool or another program (Chromium,
    /// readelf).</summary>
    public const string Integration = "Integration";

    /// <summary>A minute or more: the whole demo, kill-and-resume runs, packing and building outside projects, the benchmarks, the
    /// samples.</summary>
    public const string Slow = "Slow";
}
