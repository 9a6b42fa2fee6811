namespace Prior.MLNet.Data.Csv;

/// <summary>One record of a CSV file.</summary>
/// <param name="LineNumber">The 1-based line on which the record starts (the header is line 1).</param>
/// <param name="Fields">The unquoted field values.</param>
/// <param name="Error">Why the record is malformed (an unterminated quote), or null.</param>
internal sealed record CsvRecord(long LineNumber, string[] Fields, string? Error = null);
