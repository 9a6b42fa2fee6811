using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Prior.MLNet.Transforms.Persistence;

/// <summary>
/// The one door to what ML.NET keeps internal, besides the model-persistence calls of this folder: a catalog's
/// environment, its seed and cancellation, and a <see cref="SchemaShape"/> from a schema. Compiled against publicized
/// Microsoft.ML.Core and Microsoft.ML.Data (build/PublicizeMLNet.targets) and called through
/// <c>[IgnoresAccessChecksTo]</c>; no reflection and no fallback, so a member that moves fails at the call with
/// <see cref="MissingMethodException"/> instead of silently losing the MLContext. ML.NET is pinned to the versions this
/// is tested with, and MLNetInternalsTests checks every internal member the library references against the
/// assemblies it runs with.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The MLContext behind a catalog (its seed, log and cancellation), as ML.NET's own catalog extensions take it.</summary>
    public static IHostEnvironment Environment(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return ((IInternalCatalog)catalog).Environment;
    }

    /// <summary>The MLContext behind a trainers catalog (<c>mlContext.BinaryClassification.Trainers</c> and the like), as
    /// ML.NET's own trainer extensions take it.</summary>
    public static IHostEnvironment Environment(TrainCatalogBase.CatalogInstantiatorBase catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.GetEnvironment();
    }

    /// <summary>The MLContext's seed, or null when it was made without one.</summary>
    public static int? Seed(IHostEnvironment environment) => (environment as IHostEnvironmentInternal)?.Seed;

    /// <summary>Whether <c>mlContext.CancelExecution()</c> was called.</summary>
    public static bool IsCanceled(IHostEnvironment environment) => (environment as ICancelable)?.IsCanceled == true;

    /// <summary>The shape estimators report for a schema (ML.NET's own <c>SchemaShape.Create</c>).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) => SchemaShape.Create(schema);
}
