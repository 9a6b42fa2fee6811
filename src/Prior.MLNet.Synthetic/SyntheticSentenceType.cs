using System.Globalization;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// What a synthetic report sentence states, as the generator knows it: the finding (or "Normal", "Communication",
/// "Recommendation"), whether it is asserted, hedged or negated, the severity word and the side ("-" when the sentence
/// does not say). The generator writes every sentence's type to <c>synth-sentence-types.tsv</c>, so that what the
/// prototype bank learns can be compared with what the sentences mean.
/// </summary>
/// <param name="Finding">The finding kind's name, joined by "+" when one sentence negates several.</param>
/// <param name="Certainty">"positive", "uncertain", "negative" or "-".</param>
/// <param name="Severity">"small", "moderate", "large" or "-".</param>
/// <param name="Side">"right", "left", "bilateral", a device name, a normal statement's subject, or "-".</param>
internal sealed record SyntheticSentenceType(string Finding, string Certainty, string Severity, string Side)
{
    /// <summary>The file name under the dataset's root.</summary>
    public const string FileName = "synth-sentence-types.tsv";

    /// <summary>All four fields, "|"-joined: the finest grouping.</summary>
    public string Key => $"{Finding}|{Certainty}|{Severity}|{Side}";

    /// <summary>Writes the table (text, finding, certainty, severity, side; sorted by text, tab-separated, with a header).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, SyntheticSentenceType>> types) =>
        IO.AtomicFile.WriteText(path, w =>
        {
            w.Write("Sentence\tFinding\tCertainty\tSeverity\tSide\n");
            foreach (var (text, t) in types.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{text}\t{t.Finding}\t{t.Certainty}\t{t.Severity}\t{t.Side}\n"));
        });

    /// <summary>Reads a table written by <see cref="Write"/>: sentence text → type.</summary>
    public static IReadOnlyDictionary<string, SyntheticSentenceType> Read(string path)
    {
        var types = new Dictionary<string, SyntheticSentenceType>(StringComparer.Ordinal);
        int line = 0;
        foreach (var row in File.ReadLines(path))
        {
            if (line++ == 0)
                continue;
            var fields = row.Split('\t');
            if (fields.Length != 5)
                throw new InvalidDataException($"{path}, line {line}: expected 5 tab-separated fields, found {fields.Length}.");
            types[fields[0]] = new SyntheticSentenceType(fields[1], fields[2], fields[3], fields[4]);
        }
        return types;
    }
}
