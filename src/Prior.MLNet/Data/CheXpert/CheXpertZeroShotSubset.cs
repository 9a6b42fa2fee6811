using Prior.MLNet.Data.Csv;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>
/// Builds the CheXpert 5x200 zero-shot set (the GLoRIA/MGCA recipe used by PRIOR): from <c>train.csv</c>, frontal
/// images that are positive (1.0) for exactly one of Atelectasis, Cardiomegaly, Consolidation, Edema and Pleural
/// Effusion, with the other four negative or blank (never uncertain), <c>perClass</c> of them per class, drawn
/// with seed + class index (the authors used 114514–114518). Their pandas sampling order cannot be reproduced
/// outside numpy; the subset is deterministic for a seed here.
/// </summary>
public static class CheXpertZeroShotSubset
{
    /// <summary>The default number of images per class.</summary>
    public const int DefaultPerClass = 200;

    /// <summary>The default seed (the first of the authors' five).</summary>
    public const long DefaultSeed = Defaults.Seed;

    /// <summary>
    /// Chooses the subset and writes it to <paramref name="outputCsv"/> (atomically) with CheXpert's columns, <c>Path</c>
    /// first, the same relative paths as train.csv, grouped by class in <see cref="ChexpertLabels.CompetitionFive"/>
    /// order. Returns the chosen rows' classes and paths. Throws when a class has fewer candidates than asked for.
    /// </summary>
    public static IReadOnlyList<(string Label, string Path)> Build(
        string root,
        string outputCsv,
        int perClass = DefaultPerClass,
        long seed = DefaultSeed,
        string trainCsv = "train.csv",
        DataLoadSummary? summary = null
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        var options = new CheXpertLoaderOptions { Root = root, Csv = trainCsv };
        options.Validate();
        var five = ChexpertLabels.CompetitionFive.Select(ChexpertLabels.IndexOf).ToArray();
        var candidates = five.Select(_ => new List<CheXpertCsv.Row>()).ToArray();
        foreach (var row in CheXpertCsv.Read(root, options.CsvPath, CheXpertViews.Frontal, checkImages: true, summary))
        {
            var positive = Enumerable.Range(0, 5).Where(k => row.RawLabels[five[k]] == ChexpertLabels.Positive).ToList();
            bool noneUncertain = five.All(i => row.RawLabels[i] != ChexpertLabels.Uncertain);
            if (positive.Count == 1 && noneUncertain)
                candidates[positive[0]].Add(row);
        }

        var shortOf = Enumerable.Range(0, 5).Where(k => candidates[k].Count < perClass).ToList();
        if (shortOf.Count > 0)
        {
            throw new InvalidDataException(
                $"{options.CsvPath}: too few frontal images positive for exactly one class: "
                    + string.Join(", ", shortOf.Select(k => $"{ChexpertLabels.CompetitionFive[k]} has {candidates[k].Count}"))
                    + $", {perClass} wanted per class."
            );
        }

        var chosen = new List<(string Label, CheXpertCsv.Row Row)>();
        for (int k = 0; k < 5; k++)
        {
            var pool = candidates[k];
            var random = new DeterministicRandom(unchecked((ulong)(seed + k)));
            random.Shuffle(pool);
            chosen.AddRange(pool.Take(perClass).OrderBy(r => r.Line).Select(r => (ChexpertLabels.CompetitionFive[k], r)));
        }

        CompressedText.WriteAtomically(outputCsv, writer =>
        {
            CsvWriter.WriteRow(writer, CheXpertColumns.Header);
            foreach (var (_, row) in chosen)
                CsvWriter.WriteRow(writer, row.Fields);
        });
        return chosen.Select(c => (c.Label, c.Row.Image.Path)).ToList();
    }
}
