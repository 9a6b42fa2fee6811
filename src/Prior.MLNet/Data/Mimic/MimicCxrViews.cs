namespace Prior.MLNet.Data.Mimic;

/// <summary>The <c>ViewPosition</c> values that MIMIC-CXR-JPG's metadata uses. Anything else is an unknown view.</summary>
internal static class MimicCxrViews
{
    /// <summary>Every known view position.</summary>
    public static IReadOnlySet<string> Known { get; } =
        new HashSet<string>(StringComparer.Ordinal)
        {
            "PA",
            "AP",
            "LATERAL",
            "LL",
            "AP AXIAL",
            "AP LLD",
            "AP RLD",
            "PA LLD",
            "PA RLD",
            "LAO",
            "RAO",
            "LPO",
            "XTABLE LATERAL",
            "SWIMMERS",
        };
}
