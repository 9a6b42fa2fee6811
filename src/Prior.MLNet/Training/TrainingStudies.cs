using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;

namespace Prior.MLNet.Training;

/// <summary>
/// Reads the studies to train on from an <see cref="IDataView"/> (e.g. <c>LoadMimicCxr</c>'s): an image-path
/// vector column and a sentence vector column. Rows with no image or no sentence are skipped and counted. Holds
/// paths and sentences in memory (text only; images are read by the batch workers).
/// </summary>
internal static class TrainingStudies
{
    /// <summary>Reads the studies; <paramref name="summary"/> receives the skipped rows.</summary>
    public static IReadOnlyList<TrainingStudy> FromDataView(
        IDataView data,
        string imagePathsColumn,
        string sentencesColumn,
        DataLoadSummary summary,
        string? idColumn = null
    )
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(summary);
        var images = Column(data, imagePathsColumn, "a text vector of image paths");
        var sentences = Column(data, sentencesColumn, "a text vector of sentences");
        var id = idColumn is null ? null : data.Schema.GetColumnOrNull(idColumn);
        var columns = new List<DataViewSchema.Column> { images, sentences };
        if (id is { } idCol)
            columns.Add(idCol);
        var studies = new List<TrainingStudy>();
        using var cursor = data.GetRowCursor(columns);
        var imagesGetter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(images);
        var sentencesGetter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(sentences);
        var idGetter = id is { } c ? IdGetter(cursor, c) : null;
        VBuffer<ReadOnlyMemory<char>> imageBuffer = default,
            sentenceBuffer = default;
        long row = 0;
        while (cursor.MoveNext())
        {
            row++;
            imagesGetter(ref imageBuffer);
            sentencesGetter(ref sentenceBuffer);
            var name = idGetter?.Invoke() ?? $"row {row}";
            var paths = imageBuffer.DenseValues().Select(v => v.ToString()).Where(p => p.Length > 0).ToList();
            var text = sentenceBuffer.DenseValues().Select(v => v.ToString()).Where(s => !string.IsNullOrWhiteSpace(s)).ToList();
            if (paths.Count == 0)
                summary.Skip(SkipReason.NoFrontalImage, name, row, $"column '{imagePathsColumn}' is empty");
            else if (text.Count == 0)
                summary.Skip(SkipReason.NoUsableSection, paths[0], row, $"column '{sentencesColumn}' holds no sentence (empty report)");
            else
            {
                studies.Add(new TrainingStudy(name, paths, text));
                summary.Accept();
            }
        }
        return studies;
    }

    private static DataViewSchema.Column Column(IDataView data, string name, string expected)
    {
        var column = data.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentException(
                $"Column '{name}' not found; expected {expected}. The data has: {string.Join(", ", data.Schema.Select(c => c.Name))}."
            );
        if (column.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentException($"Column '{name}' is {column.Type}; expected {expected}.");
        return column;
    }

    private static Func<string>? IdGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Int64)
        {
            var getter = cursor.GetGetter<long>(column);
            return () =>
            {
                long v = 0;
                getter(ref v);
                return v.ToString(System.Globalization.CultureInfo.InvariantCulture);
            };
        }
        if (column.Type is TextDataViewType)
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            return () =>
            {
                ReadOnlyMemory<char> v = default;
                getter(ref v);
                return v.ToString();
            };
        }
        return null;
    }
}
