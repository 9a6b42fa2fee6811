using System.Text;

namespace Prior.MLNet.Data.Csv;

/// <summary>
/// A streaming RFC 4180 reader: commas, double-quoted fields with doubled quotes inside, line breaks inside quotes,
/// LF or CRLF endings. It keeps the line number of every record so that errors can name the row. Hand-written
/// because it is small and because the loaders need line numbers and malformed-row reports that general CSV
/// libraries hide.
/// </summary>
internal static class CsvReader
{
    /// <summary>Reads every record of <paramref name="reader"/>, lazily.</summary>
    public static IEnumerable<CsvRecord> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1;
        while (true)
        {
            long start = line;
            fields.Clear();
            field.Clear();
            bool inQuotes = false,
                quotedField = false,
                any = false;
            int c;
            while ((c = reader.Read()) != -1)
            {
                any = true;
                char ch = (char)c;
                if (inQuotes)
                {
                    if (ch == '"')
                    {
                        if (reader.Peek() == '"')
                        {
                            reader.Read();
                            field.Append('"');
                        }
                        else
                            inQuotes = false;
                    }
                    else
                    {
                        if (ch == '\n')
                            line++;
                        field.Append(ch);
                    }
                    continue;
                }
                if (ch == '"' && field.Length == 0 && !quotedField)
                {
                    inQuotes = true;
                    quotedField = true;
                    continue;
                }
                if (ch == ',')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    quotedField = false;
                    continue;
                }
                if (ch == '\r' && reader.Peek() == '\n')
                    continue;
                if (ch == '\n')
                {
                    line++;
                    break;
                }
                field.Append(ch);
            }
            if (!any)
                yield break;
            fields.Add(field.ToString());
            if (fields.Count == 1 && fields[0].Length == 0 && c != -1)
                continue; // a blank line between records
            if (fields.Count == 1 && fields[0].Length == 0 && c == -1)
                yield break;
            yield return new CsvRecord(
                start,
                fields.ToArray(),
                inQuotes ? "a quoted field is not closed before the end of the file" : null
            );
            if (c == -1)
                yield break;
        }
    }

    /// <summary>Maps header names to their column index; throws naming the file when a required one is missing.</summary>
    public static Dictionary<string, int> IndexHeader(CsvRecord header, string file, params string[] required)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Fields.Length; i++)
            index.TryAdd(header.Fields[i].Trim(), i);
        var missing = required.Where(r => !index.ContainsKey(r)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException(
                $"{file}: the header lacks the column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}; "
                    + $"it has {string.Join(", ", header.Fields.Select(f => $"'{f}'"))}."
            );
        }
        return index;
    }
}
