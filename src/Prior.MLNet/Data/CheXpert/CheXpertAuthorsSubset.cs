using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>
/// The exact CheXpert 5x200 zero-shot selection the PRIOR authors evaluated on, as published with their code
/// (QtacierP/PRIOR, Apache-2.0; shipped inside this library, see THIRD-PARTY-NOTICES.md): a JSON object whose keys
/// are row ids and whose values hold <c>image_path</c>, relative to the CheXpert-v1.0 root, and a one-hot
/// <c>label</c> over <see cref="ChexpertLabels.CompetitionFive"/>. Give <see cref="Name"/> (or the path of such a
/// JSON file, told by its content) as <see cref="CheXpertLoaderOptions.Csv"/>: its paths are mapped onto the
/// install (<c>CheXpert-v1.0</c> or <c>CheXpert-v1.0-small</c>), and images the install lacks are counted and named.
/// </summary>
internal static class CheXpertAuthorsSubset
{
    /// <summary>The value of <see cref="CheXpertLoaderOptions.Csv"/> (and of <c>--subset</c>) that selects the shipped file.</summary>
    public const string Name = "authors";

    private const string Resource = "Prior.MLNet.Data.CheXpert.chexpert_5x200.json";

    /// <summary>One entry of the selection.</summary>
    /// <param name="Id">The key: the row id in the authors' table.</param>
    /// <param name="ImagePath">Relative to the CheXpert root, e.g. <c>train/patient29750/study15/view1_frontal.jpg</c>.</param>
    /// <param name="Class">The index of its class in <see cref="ChexpertLabels.CompetitionFive"/>.</param>
    public sealed record Entry(string Id, string ImagePath, int Class);

    /// <summary>The shipped selection (1,000 entries), in the file's order.</summary>
    public static IReadOnlyList<Entry> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The resource {Resource} is missing from the assembly.");
        return Read(stream, "the authors' chexpert_5x200.json");
    }

    /// <summary>Reads a selection in the authors' format; errors name <paramref name="source"/> and the entry.</summary>
    public static IReadOnlyList<Entry> Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not a JSON selection ({ex.Message}).", ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{source}: expected a JSON object of id → {{image_path, label}}.");
            var entries = new List<Entry>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                if (
                    value.ValueKind != JsonValueKind.Object
                    || !value.TryGetProperty("image_path", out var path)
                    || path.ValueKind != JsonValueKind.String
                    || !value.TryGetProperty("label", out var label)
                    || label.ValueKind != JsonValueKind.Array
                )
                    throw new InvalidDataException($"{source}: entry '{property.Name}' lacks a string image_path or a label array.");
                var oneHot = label.EnumerateArray().Select(v => v.GetDouble()).ToArray();
                if (
                    oneHot.Length != ChexpertLabels.CompetitionFive.Count
                    || oneHot.Count(v => v == 1) != 1
                    || oneHot.Count(v => v == 0) != oneHot.Length - 1
                )
                    throw new InvalidDataException(
                        $"{source}: entry '{property.Name}' has label [{string.Join(", ", oneHot)}], not one-hot over the five classes."
                    );
                entries.Add(new Entry(property.Name, path.GetString()!, Array.IndexOf(oneHot, 1.0)));
            }
            return entries;
        }
    }

    /// <summary>True for <see cref="Name"/> and for a file whose first non-blank character opens a JSON object.</summary>
    internal static bool IsSelection(string csvPath)
    {
        if (csvPath == Name)
            return true;
        using var stream = File.OpenRead(csvPath);
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b == '{';
    }

    /// <summary>The selection's entries as CheXpert rows under <paramref name="root"/>, checked like the CSV's.</summary>
    internal static IEnumerable<CheXpertCsv.Row> Rows(string root, string csvPath, bool checkImages, DataLoadSummary? summary)
    {
        IReadOnlyList<Entry> entries;
        string source;
        if (csvPath == Name)
        {
            entries = Load();
            source = "the authors' chexpert_5x200.json";
        }
        else
        {
            using var stream = File.OpenRead(csvPath);
            entries = Read(stream, csvPath);
            source = csvPath;
        }
        var dataset = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(root));
        var header = CheXpertColumns.Header.ToList();
        var classColumns = ChexpertLabels.CompetitionFive.Select(c => header.IndexOf(c)).ToArray();
        var classLabels = ChexpertLabels.CompetitionFive.Select(ChexpertLabels.IndexOf).ToArray();
        int viewColumn = header.IndexOf("Frontal/Lateral");
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var parts = entry.ImagePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var image = System.IO.Path.Combine(root, System.IO.Path.Combine(parts));
            if (parts.Length < 4)
            {
                summary?.Skip(
                    SkipReason.MalformedRow,
                    source,
                    i + 1,
                    $"entry '{entry.Id}': image_path '{entry.ImagePath}' is not split/patient/study/view"
                );
                continue;
            }
            if (checkImages && !File.Exists(image))
            {
                summary?.Skip(SkipReason.MissingImage, image, null, $"entry '{entry.Id}' of {source} lists it but the install lacks it");
                continue;
            }
            var labels = Enumerable.Repeat(float.NaN, ChexpertLabels.Count).ToArray();
            var fields = CheXpertColumns.Header.Select(_ => string.Empty).ToArray();
            for (int k = 0; k < ChexpertLabels.CompetitionFive.Count; k++)
            {
                float value = k == entry.Class ? 1f : 0f;
                labels[classLabels[k]] = value;
                fields[classColumns[k]] = value.ToString("0.0", CultureInfo.InvariantCulture);
            }
            var csvStylePath = $"{dataset}/{entry.ImagePath}";
            fields[0] = csvStylePath;
            fields[viewColumn] = "Frontal";
            yield return new CheXpertCsv.Row(
                i + 1,
                fields,
                new CheXpertImage
                {
                    Path = csvStylePath,
                    ImagePath = image,
                    Patient = parts[^3],
                    Study = parts[^2],
                    Age = float.NaN,
                    View = "Frontal",
                },
                labels
            );
        }
    }
}
