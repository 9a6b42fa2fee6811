using System.Globalization;

namespace Prior.MLNet.Data;

/// <summary>
/// The 14 observations of the CheXpert labeler, used by CheXpert's CSVs and by
/// <c>mimic-cxr-2.0.0-chexpert.csv</c>. Every <c>Labels</c> column of this library lists them in
/// <see cref="Names"/> order (CheXpert's CSV order), whatever the column order of the file they came from.
/// </summary>
public static class ChexpertLabels
{
    /// <summary>The observation names, exactly as the CSV headers spell them, in CheXpert's CSV order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "No Finding",
        "Enlarged Cardiomediastinum",
        "Cardiomegaly",
        "Lung Opacity",
        "Lung Lesion",
        "Edema",
        "Consolidation",
        "Pneumonia",
        "Atelectasis",
        "Pneumothorax",
        "Pleural Effusion",
        "Pleural Other",
        "Fracture",
        "Support Devices",
    ];

    /// <summary>The number of observations (14).</summary>
    public const int Count = 14;

    /// <summary>The five classes of the CheXpert competition and of the 5x200 zero-shot set, in the usual order.</summary>
    public static IReadOnlyList<string> CompetitionFive { get; } =
    ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion"];

    /// <summary>The position of an observation in <see cref="Names"/>.</summary>
    public static int IndexOf(string name)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal))
                return i;
        }
        throw new ArgumentException($"'{name}' is not a CheXpert observation; expected one of {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Value of a positive mention.</summary>
    public const float Positive = 1f;

    /// <summary>Value of a negated mention.</summary>
    public const float Negative = 0f;

    /// <summary>Value of an uncertain mention.</summary>
    public const float Uncertain = -1f;

    /// <summary>
    /// Parses a label cell: <c>1.0</c>, <c>0.0</c>, <c>-1.0</c> (any float spelling) or blank (returned as NaN).
    /// Returns false for anything else.
    /// </summary>
    public static bool TryParse(string cell, out float value)
    {
        var text = cell.AsSpan().Trim();
        if (text.IsEmpty)
        {
            value = float.NaN;
            return true;
        }
        if (
            float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && (value == Positive || value == Negative || value == Uncertain)
        )
        {
            return true;
        }
        value = float.NaN;
        return false;
    }

    /// <summary>
    /// Parses the 14 label cells of a CSV row, reading each observation from the column <paramref name="columns"/>
    /// maps its name to. Returns false, naming the observation in <paramref name="error"/>, if one is invalid.
    /// </summary>
    internal static bool TryParseRow(string[] fields, IReadOnlyDictionary<string, int> columns, out float[] values, out string? error)
    {
        values = new float[Count];
        for (int k = 0; k < Count; k++)
        {
            if (!TryParse(fields[columns[Names[k]]], out values[k]))
            {
                error = $"'{Names[k]}' is not 1.0, 0.0, -1.0 or blank";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>Formats a label as the datasets do: <c>1.0</c>, <c>0.0</c>, <c>-1.0</c>, or blank for NaN.</summary>
    public static string Format(float value) => float.IsNaN(value) ? string.Empty : value.ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>Applies the uncertainty and blank policies to every raw label (NaN = blank).</summary>
    public static float[] Apply(float[] raw, UncertaintyPolicy uncertain, float blankAs)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return raw.Select(v => Apply(v, uncertain, blankAs)).ToArray();
    }

    /// <summary>Applies the uncertainty and blank policies to a raw label (NaN = blank).</summary>
    public static float Apply(float raw, UncertaintyPolicy uncertain, float blankAs) =>
        raw switch
        {
            _ when float.IsNaN(raw) => blankAs,
            Uncertain => uncertain switch
            {
                UncertaintyPolicy.Keep => Uncertain,
                UncertaintyPolicy.Ignore => float.NaN,
                UncertaintyPolicy.Zeros => Negative,
                UncertaintyPolicy.Ones => Positive,
                _ => throw new ArgumentOutOfRangeException(nameof(uncertain), uncertain, "Unknown uncertainty policy."),
            },
            _ => raw,
        };
}
