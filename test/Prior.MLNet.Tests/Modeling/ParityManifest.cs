using System.Text.Json;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>Reads TestData/parity/manifest.json, which says how each fixture was made.</summary>
internal static class ParityManifest
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.TestData, "parity", "manifest.json")))
    );

    /// <summary>The manifest's entry for one fixture.</summary>
    public static JsonElement Entry(string fixture) => Document.Value.RootElement.GetProperty("fixtures").GetProperty(fixture);

    /// <summary>A fixture's float32_vs_float64 entry: the original's own float32 relative error per key.</summary>
    public static Dictionary<string, double> Float32Errors(string fixture) =>
        Entry(fixture).GetProperty("float32_vs_float64").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
}
