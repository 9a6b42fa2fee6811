namespace Prior.MLNet.Data.Csv;

/// <summary>Writes RFC 4180 rows, quoting only the fields that need it (as pandas does).</summary>
internal static class CsvWriter
{
    /// <summary>Writes one row followed by a line feed.</summary>
    public static void WriteRow(TextWriter writer, IEnumerable<string?> fields)
    {
        bool first = true;
        foreach (var field in fields)
        {
            if (!first)
                writer.Write(',');
            first = false;
            writer.Write(Quote(field ?? string.Empty));
        }
        writer.Write('\n');
    }

    /// <summary>Quotes a field when it holds a comma, a quote or a line break.</summary>
    public static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
