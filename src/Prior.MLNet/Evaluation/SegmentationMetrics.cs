using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Overlap of a predicted mask with the true one, per image, as segmentation papers and the SIIM-ACR challenge report
/// them: Dice = 2|P∩T| / (|P| + |T|) and IoU = |P∩T| / |P∪T|, both 1 when the two masks are empty (SIIM's rule, so an
/// image without pneumothorax scores 1 for an empty prediction and 0 for any other).
/// </summary>
internal static class SegmentationMetrics
{
    /// <summary>Dice of two masks of equal length (non-zero = inside).</summary>
    public static double Dice(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        var (both, p, t) = Counts(predicted, truth);
        return p + t == 0 ? 1 : 2.0 * both / (p + t);
    }

    /// <summary>Intersection over union of two masks of equal length (non-zero = inside).</summary>
    public static double IoU(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        var (both, p, t) = Counts(predicted, truth);
        return p + t == 0 ? 1 : (double)both / (p + t - both);
    }

    /// <summary>
    /// Scores a view <c>PriorSegmentation</c>'s transformer produced: the true SIIM run-length masks (a text vector, as
    /// <c>LoadSiimPneumothorax</c> gives, or one text) against the predicted one, both at the image's size, which is read
    /// from the image file's header.
    /// </summary>
    public static PriorSegmentationMetrics Evaluate(
        IDataView scored,
        string imageColumnName = Defaults.ImagePathColumnName,
        string truthColumnName = "EncodedPixels",
        string predictedColumnName = "PredictedEncodedPixels"
    )
    {
        ArgumentNullException.ThrowIfNull(scored);
        DataViewSchema.Column Column(string name) =>
            scored.Schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(
                nameof(scored),
                $"Column '{name}' not found; the view has: {string.Join(", ", scored.Schema.Select(c => c.Name))}."
            );
        var image = Column(imageColumnName);
        var truth = Column(truthColumnName);
        var predicted = Column(predictedColumnName);
        if (
            image.Type is not TextDataViewType
            || predicted.Type is not TextDataViewType
            || truth.Type is not (TextDataViewType or VectorDataViewType { ItemType: TextDataViewType })
        )
            throw new ArgumentOutOfRangeException(
                nameof(scored),
                $"Expected text image paths, text or text-vector true masks and text predicted masks; got {image.Type}, {truth.Type}, "
                    + $"{predicted.Type}."
            );
        using var cursor = scored.GetRowCursor([image, truth, predicted]);
        var path = cursor.GetGetter<ReadOnlyMemory<char>>(image);
        var prediction = cursor.GetGetter<ReadOnlyMemory<char>>(predicted);
        Func<IEnumerable<string>> truths;
        if (truth.Type is TextDataViewType)
        {
            var one = cursor.GetGetter<ReadOnlyMemory<char>>(truth);
            truths = () =>
            {
                ReadOnlyMemory<char> v = default;
                one(ref v);
                return [v.ToString()];
            };
        }
        else
        {
            var many = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(truth);
            truths = () =>
            {
                VBuffer<ReadOnlyMemory<char>> v = default;
                many(ref v);
                return v.DenseValues().Select(m => m.ToString()).ToList();
            };
        }
        var dice = new List<double>();
        var iou = new List<double>();
        var positives = new List<double>();
        ReadOnlyMemory<char> p = default,
            m = default;
        while (cursor.MoveNext())
        {
            path(ref p);
            prediction(ref m);
            var file = p.ToString();
            int width,
                height;
            try
            {
                (width, height) = ImageGeometry.Read(file);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                throw new InvalidDataException($"Row {dice.Count + 1}: {e.Message}", e);
            }
            var trueMask = new byte[width * height];
            foreach (var encoded in truths())
                SiimRunLength.DecodeInto(encoded, width, height, trueMask);
            var predictedMask = SiimRunLength.Decode(m.ToString(), width, height);
            dice.Add(Dice(predictedMask, trueMask));
            iou.Add(IoU(predictedMask, trueMask));
            if (trueMask.Contains((byte)1))
                positives.Add(dice[^1]);
        }
        if (dice.Count == 0)
            throw new InvalidDataException("The view has no rows to evaluate.");
        return new PriorSegmentationMetrics(
            dice.Average(),
            iou.Average(),
            positives.Count == 0 ? double.NaN : positives.Average(),
            dice.Count,
            positives.Count
        );
    }

    private static (long Both, long Predicted, long Truth) Counts(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"The masks differ in size: {predicted.Length} and {truth.Length} pixels.");
        long both = 0,
            p = 0,
            t = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            bool inP = predicted[i] != 0,
                inT = truth[i] != 0;
            if (inP)
                p++;
            if (inT)
                t++;
            if (inP && inT)
                both++;
        }
        return (both, p, t);
    }
}
