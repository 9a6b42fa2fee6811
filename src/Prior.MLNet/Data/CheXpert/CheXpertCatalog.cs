using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>
/// <c>mlContext.Data.LoadCheXpert(...)</c>: CheXpert images as an <see cref="IDataView"/> (row type
/// <see cref="CheXpertImage"/>), with the uncertainty policies and view filtering. Loading validates every row
/// once (counting and naming skips); cursors then stream the CSV again, so memory does not grow with its size.
/// </summary>
public static class CheXpertCatalog
{
    /// <summary>Loads <c>train.csv</c> (frontal images, raw labels) of the CheXpert folder <paramref name="root"/>.</summary>
    public static IDataView LoadCheXpert(this DataOperationsCatalog catalog, string root) =>
        catalog.LoadCheXpert(new CheXpertLoaderOptions { Root = root }, out _);

    /// <summary>Loads CheXpert as described by <paramref name="options"/>.</summary>
    public static IDataView LoadCheXpert(this DataOperationsCatalog catalog, CheXpertLoaderOptions options) =>
        catalog.LoadCheXpert(options, out _);

    /// <summary>Loads CheXpert and says what was accepted and what was skipped, by reason and place.</summary>
    public static IDataView LoadCheXpert(this DataOperationsCatalog catalog, CheXpertLoaderOptions options, out DataLoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var result = new DataLoadSummary();
        var accepted = new HashSet<long>();
        foreach (var row in CheXpertCsv.Read(options.Root, options.CsvPath, options.Views, options.CheckImages, result))
        {
            accepted.Add(row.Line);
            result.Accept();
        }
        summary = result;
        var rows = new ReplayableEnumerable<CheXpertImage>(() => Rows(options, accepted));
        return catalog.LoadFromEnumerable(rows, Schema.Value);
    }

    private static IEnumerable<CheXpertImage> Rows(CheXpertLoaderOptions options, HashSet<long> accepted)
    {
        // Images checked at load are not stat-ed again; a row that was accepted then is accepted now.
        foreach (var row in CheXpertCsv.Read(options.Root, options.CsvPath, options.Views, checkImages: false, summary: null))
        {
            if (!accepted.Contains(row.Line))
                continue;
            row.Image.Labels = ChexpertLabels.Apply(row.RawLabels, options.UncertainLabels, options.BlankLabel);
            yield return row.Image;
        }
    }

    private static readonly Lazy<SchemaDefinition> Schema = new(() =>
    {
        var definition = SchemaDefinition.Create(typeof(CheXpertImage));
        LabelColumn.AddSlotNames(definition["Labels"]);
        return definition;
    });
}
