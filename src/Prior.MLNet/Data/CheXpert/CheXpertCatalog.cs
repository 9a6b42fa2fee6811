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

    /// <summary>
    /// The published linear-probe split of CheXpert (GLoRIA's, which MGCA and BenchX follow): train.csv's images less the
    /// PRIOR authors' zero-shot 5x200 selection, of which 5,000 drawn with <paramref name="seed"/> (a tenth when there
    /// are fewer than 50,000) validate and the rest train; valid.csv (expert-labelled) stays the test set. The split is
    /// kept in <paramref name="splitFile"/> (CSV: <c>Path,Split</c>): read when the file exists, so that a run repeats on
    /// the same images, and written otherwise.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="options">How train.csv is read: root, views and label policy (its <c>Csv</c> is train.csv).</param>
    /// <param name="splitFile">Where the split is read from, or written to when absent.</param>
    /// <param name="seed">Draws the validation images of a new split.</param>
    /// <returns>The training and the validation rows, as <c>LoadCheXpert</c> gives them.</returns>
    /// <exception cref="InvalidDataException">The split file is malformed, or was made for another train.csv (an image of
    /// this one is not in it).</exception>
    public static (IDataView Train, IDataView Validation) LoadCheXpertPublishedSplit(
        this DataOperationsCatalog catalog,
        CheXpertLoaderOptions options,
        string splitFile,
        long seed = Defaults.Seed
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(splitFile);
        var rows = catalog.CreateEnumerable<CheXpertImage>(catalog.LoadCheXpert(options), reuseRowObject: false).ToList();
        // The split names images as train.csv does below the dataset folder (train/patient…/study…/view….jpg).
        static string Relative(string csvPath) => csvPath[Math.Max(0, csvPath.IndexOf("train/", StringComparison.Ordinal))..];
        var excluded = CheXpertAuthorsSubset.Load().Select(e => e.ImagePath).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, string> split;
        if (File.Exists(splitFile))
        {
            split = CheXpertProbeSplit.Read(splitFile);
            var unknown = rows.Select(r => Relative(r.Path)).FirstOrDefault(p => !split.ContainsKey(p) && !excluded.Contains(p));
            if (unknown is not null)
                throw new InvalidDataException(
                    $"{splitFile}: made for another train.csv: {unknown} is not in it. Delete it to draw a new split."
                );
        }
        else
        {
            split = CheXpertProbeSplit.Assign(rows.Select(r => Relative(r.Path)).ToList(), excluded, seed);
            CheXpertProbeSplit.Write(splitFile, split);
        }
        IDataView Part(string name) =>
            catalog.LoadFromEnumerable(rows.Where(r => split.GetValueOrDefault(Relative(r.Path)) == name).ToList(), Schema.Value);
        return (Part("train"), Part("validation"));
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
