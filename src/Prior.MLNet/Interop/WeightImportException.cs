namespace Prior.MLNet.Interop;

/// <summary>
/// A strict weight import found keys that did not match: the message names every one of them, and
/// the library keeps the whole account. Pass <c>allowPartial</c> (CLI: <c>--allow-partial</c>) to load
/// what matches and keep the rest random.
/// </summary>
public sealed class WeightImportException : IOException
{
    /// <summary>The import's account.</summary>
    internal WeightImportReport Report { get; }

    /// <summary>Creates the exception from its report.</summary>
    internal WeightImportException(WeightImportReport report)
        : base(
            $"The weights do not match the model (strict import). {report?.Describe()}\nFix the file or the sizes (--preset), or allow a "
                + $"partial load."
        ) => Report = report ?? throw new ArgumentNullException(nameof(report));
}
