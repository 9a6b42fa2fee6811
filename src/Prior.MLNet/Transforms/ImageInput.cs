using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>
/// Reads an image input column in any of the accepted forms and returns normalised S×S pixels: a text column of image
/// paths, an <see cref="MLImage"/> column (from ImageAnalytics' <c>LoadImages</c>), or a float vector of S·S values
/// already preprocessed.
/// </summary>
internal static class ImageInput
{
    public static void Check(DataViewSchema schema, string column, int size)
    {
        var col = schema.GetColumnOrNull(column)
            ?? throw new ArgumentOutOfRangeException(
                nameof(column),
                $"Input column '{column}' not found; expected image paths (text), an MLImage, or a Single vector of {size * size}."
            );
        bool ok =
            col.Type is TextDataViewType
            || col.Type is ImageDataViewType
            || (
                col.Type is VectorDataViewType { ItemType: NumberDataViewType n, Size: var s }
                && n == NumberDataViewType.Single
                && s == size * size
            );
        if (!ok)
            throw new ArgumentOutOfRangeException(
                nameof(column),
                $"Input column '{column}' is {col.Type}; expected image paths (text), an MLImage, or a Single vector of {size * size}."
            );
    }

    public static Func<object> Reader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            return () =>
            {
                ReadOnlyMemory<char> v = default;
                getter(ref v);
                return v.ToString();
            };
        }
        if (column.Type is ImageDataViewType)
        {
            var getter = row.GetGetter<MLImage>(column);
            return () =>
            {
                MLImage v = null!;
                getter(ref v);
                return v;
            };
        }
        var vector = row.GetGetter<VBuffer<float>>(column);
        return () =>
        {
            VBuffer<float> v = default;
            vector(ref v);
            return v.DenseValues().ToArray();
        };
    }

    /// <summary>Turns what <see cref="Reader"/> returned into normalised pixels.</summary>
    public static float[] Pixels(object value, ImagePreprocessor preprocessor) =>
        value switch
        {
            string path => preprocessor.Load(path, null),
            MLImage image => FromMLImage(image, preprocessor),
            float[] pixels => pixels,
            _ => throw new InvalidOperationException($"Unexpected image input {value?.GetType().Name ?? "null"}."),
        };

    private static float[] FromMLImage(MLImage image, ImagePreprocessor preprocessor)
    {
        // MLImage holds 32-bit pixels: the same ITU-R 601 luma as image files get (GrayscaleImage).
        var source = image.Pixels;
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        int r = bgra ? 2 : 0,
            b = bgra ? 0 : 2;
        var gray = new byte[image.Width * image.Height];
        for (int i = 0; i < gray.Length; i++)
            gray[i] = (byte)((source[4 * i + r] * 19595 + source[4 * i + 1] * 38470 + source[4 * i + b] * 7471 + 0x8000) >> 16);
        return preprocessor.FromGray(gray, image.Width, image.Height, null);
    }
}
