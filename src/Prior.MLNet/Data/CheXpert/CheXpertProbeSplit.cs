using Prior.MLNet.Data.Csv;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>Which CheXpert images train and which test a probe or a fine-tuned classifier.</summary>
internal enum CheXpertSplit
{
    /// <summary>train.csv trains, valid.csv tests (the dataset's own two files).</summary>
    Official,

    /// <summary>
    /// GLoRIA's, which MGCA and BenchX follow: valid.csv (expert-labelled) tests; from train.csv the zero-shot 5x200
    /// images are removed and 5,000 random images held out for validation; the rest trains.
    /// </summary>
    Published,
}

/// <summary>
/// The <see cref="CheXpertSplit.Published"/> split of train.csv, seeded and written to a CSV (<c>Path,Split</c> with
/// <c>train</c> or <c>validation</c>) so that a run can be repeated on the same images; read back, it must cover the
/// same train.csv.
/// </summary>
internal static class CheXpertProbeSplit
{
    /// <summary>Validation images GLoRIA holds out of train.csv.</summary>
    public const int PublishedValidationImages = 5_000;

    /// <summary>
    /// Splits <paramref name="trainPaths"/> (train.csv's, in file order): the <paramref name="excluded"/> images (the
    /// zero-shot test set) go nowhere, <see cref="PublishedValidationImages"/> random others (a tenth of them when
    /// train.csv holds fewer than ten times that) go to validation, the rest to training.
    /// </summary>
    public static Dictionary<string, string> Assign(IReadOnlyList<string> trainPaths, IReadOnlySet<string> excluded, long seed)
    {
        var candidates = trainPaths.Where(p => !excluded.Contains(p)).Distinct().ToArray();
        new DeterministicRandom((ulong)seed).Shuffle(candidates);
        int validation = Math.Min(PublishedValidationImages, candidates.Length / 10);
        var split = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < candidates.Length; i++)
            split[candidates[i]] = i < validation ? "validation" : "train";
        return split;
    }

    /// <summary>Writes <paramref name="split"/> atomically, sorted by path.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, string> split) => AtomicFile.WriteText(path, w =>
        {
            CsvWriter.WriteRow(w, ["Path", "Split"]);
            foreach (var (image, part) in split.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                CsvWriter.WriteRow(w, [image, part]);
        });

    /// <summary>Reads a split written by <see cref="Write"/>, naming the file and row of anything else.</summary>
    public static Dictionary<string, string> Read(string path)
    {
        using var reader = File.OpenText(path);
        var records = CsvReader.Read(reader).GetEnumerator();
        if (!records.MoveNext())
            throw new InvalidDataException($"{path}: empty; a split file starts with the header Path,Split.");
        var columns = CsvReader.IndexHeader(records.Current, path, "Path", "Split");
        var split = new Dictionary<string, string>(StringComparer.Ordinal);
        while (records.MoveNext())
        {
            var record = records.Current;
            if (record.Error is not null)
                throw new InvalidDataException($"{path}, line {record.LineNumber}: {record.Error}");
            if (record.Fields.Length <= Math.Max(columns["Path"], columns["Split"]))
                throw new InvalidDataException(
                    $"{path}, line {record.LineNumber}: {record.Fields.Length} field(s); Path and Split are needed."
                );
            var (image, part) = (record.Fields[columns["Path"]], record.Fields[columns["Split"]]);
            if (part is not ("train" or "validation"))
                throw new InvalidDataException($"{path}, line {record.LineNumber}: Split is '{part}'; it must be train or validation.");
            if (!split.TryAdd(image, part))
                throw new InvalidDataException($"{path}, line {record.LineNumber}: {image} is listed twice.");
        }
        return split;
    }
}
