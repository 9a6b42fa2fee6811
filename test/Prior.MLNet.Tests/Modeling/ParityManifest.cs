using System.Text.Json;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>Reads TestData/parity/manifest.json, which says how each fixture was made.</summary>
internal static class ParityManifest
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.TestData, "parity", "manifest.json"))));

    /// <summary>The manifest's entry for one fixture.</summary>
    public static JsonElement Entry(string fixture) => Document.Value.RootElement.GetProperty("fixtures").GetProperty(fixture);
}
