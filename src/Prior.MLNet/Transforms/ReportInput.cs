using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>The report input column the report transformers share: report text, or a text vector of sentences.</summary>
internal static class ReportInput
{
    /// <summary>Throws naming the column when it is absent or neither text nor a text vector.</summary>
    public static void Check(DataViewSchema schema, string column, string paramName)
    {
        var found = schema.GetColumnOrNull(column)
            ?? throw new ArgumentOutOfRangeException(
                paramName,
                $"Input column '{column}' not found; expected report text or a text vector of sentences."
            );
        if (found.Type is not TextDataViewType && found.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(
                paramName,
                $"Input column '{column}' is {found.Type}; expected report text or a text vector of sentences."
            );
    }
}
