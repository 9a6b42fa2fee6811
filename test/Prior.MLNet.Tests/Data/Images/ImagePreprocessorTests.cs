using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// The training pipeline's pixel arithmetic, written for speed (a table per grey level, per-column products computed
/// once), against the plain per-pixel formula: bit for bit, so that a seed trains exactly as before the rewrite.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImagePreprocessorTests
{
    [TestMethod]
    [DataRow(64)]
    [DataRow(37)]
    public void ScalingRotationAndFlipEqualThePlainFormulaBitForBit(int size)
    {
        const float mean = 0.4755f,
            std = 0.3011f;
        const double maxDegrees = 5;
        var preprocessor = new ImagePreprocessor(size, mean, std) { MaxRotationDegrees = maxDegrees };
        var random = new Random(size);
        for (int image = 0; image < 20; image++)
        {
            var pixels = new byte[size * size];
            random.NextBytes(pixels);

            var plain = preprocessor.FromGray(pixels, size, size, null);
            for (int i = 0; i < pixels.Length; i++)
                Assert.AreEqual(
                    BitConverter.SingleToInt32Bits((pixels[i] / 255f - mean) / std),
                    BitConverter.SingleToInt32Bits(plain[i]),
                    $"image {image}, pixel {i}, no augmentation"
                );

            // The same draws the preprocessor makes: the angle, then the flip (half of these images are flipped).
            var augmented = preprocessor.FromGray(pixels, size, size, DeterministicRandom.Derive(7, "test", image));
            var draws = DeterministicRandom.Derive(7, "test", image);
            double angle = draws.Uniform(-maxDegrees, maxDegrees) * Math.PI / 180;
            bool flip = draws.Chance(0.5);
            var expected = Reference(pixels, size, angle, flip, mean, std);
            for (int i = 0; i < pixels.Length; i++)
                Assert.AreEqual(
                    BitConverter.SingleToInt32Bits(expected[i]),
                    BitConverter.SingleToInt32Bits(augmented[i]),
                    $"image {image}, pixel {i}, angle {angle}, flip {flip}"
                );
        }
    }

    // Inverse rotation about the centre (after the flip), bilinear interpolation in double, zero outside, then [0, 1]
    // and normalisation: each output pixel on its own.
    private static float[] Reference(byte[] source, int size, double angle, bool flip, float mean, float std)
    {
        var output = new float[size * size];
        double cos = Math.Cos(angle),
            sin = Math.Sin(angle),
            c = (size - 1) / 2.0;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double dx = (flip ? size - 1 - x : x) - c,
                    dy = y - c;
                double sx = cos * dx + sin * dy + c,
                    sy = -sin * dx + cos * dy + c;
                float value = 0;
                if (sx >= 0 && sy >= 0 && sx <= size - 1 && sy <= size - 1)
                {
                    int x0 = (int)Math.Floor(sx),
                        y0 = (int)Math.Floor(sy);
                    int x1 = Math.Min(x0 + 1, size - 1),
                        y1 = Math.Min(y0 + 1, size - 1);
                    double fx = sx - x0,
                        fy = sy - y0;
                    double top = source[y0 * size + x0] * (1 - fx) + source[y0 * size + x1] * fx;
                    double bottom = source[y1 * size + x0] * (1 - fx) + source[y1 * size + x1] * fx;
                    value = (float)(top * (1 - fy) + bottom * fy);
                }
                output[y * size + x] = (value / 255f - mean) / std;
            }
        }
        return output;
    }
}
