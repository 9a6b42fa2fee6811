using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>Decodes a batch of image inputs in parallel, applying an <see cref="UnreadableImageHandling"/>.</summary>
internal static class ImageBatch
{
    /// <summary>
    /// The pixels of each input (null where unreadable) and the reason for each unreadable one (null where readable).
    /// With <see cref="UnreadableImageHandling.Fail"/> the first unreadable input throws, naming its row (1-based,
    /// <paramref name="firstRow"/> being the 0-based position of the batch's first row) and its file.
    /// </summary>
    public static (float[]?[] Pixels, string?[] Errors) Decode(
        IReadOnlyList<object> inputs,
        ImagePreprocessor preprocessor,
        UnreadableImageHandling handling,
        long firstRow
    )
    {
        var (pixels, errors) = ImagePreprocessor.TryEach(inputs, input => ImageInput.Pixels(input, preprocessor));
        if (handling == UnreadableImageHandling.Fail)
        {
            for (int i = 0; i < errors.Length; i++)
            {
                if (errors[i] is { } error)
                    throw new InvalidDataException(
                        $"Row {firstRow + i + 1}: {error} (to skip unreadable images instead, use UnreadableImageHandling.Skip or "
                            + $"--skip-unreadable)"
                    );
            }
        }
        return (pixels, errors);
    }

    /// <summary>A vector of <paramref name="length"/> missing values.</summary>
    public static float[] Missing(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }
}
