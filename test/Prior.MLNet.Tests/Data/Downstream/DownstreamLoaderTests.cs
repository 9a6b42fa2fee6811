using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Synthetic;

namespace Prior.MLNet.Tests.Data.Downstream;

/// <summary>RSNA Pneumonia and SIIM-ACR Pneumothorax in their layouts: the synthetic writer, the loaders, bad rows.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DownstreamLoaderTests
{
    private static readonly Lazy<(string Root, SyntheticDownstreamManifest Manifest)> Data = new(() =>
    {
        var root = SyntheticFixture.NewTempFolder();
        return (root, SyntheticDownstreamGenerator.Generate(root, images: 60, imageSize: 64, seed: 9));
    });

    [TestMethod]
    public void RsnaBoxesBoundTheDrawnConsolidation()
    {
        var (_, manifest) = Data.Value;
        var ml = new MLContext(seed: 1);
        var rows = ml
            .Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(manifest.RsnaRoot, out var summary), false)
            .ToList();
        Assert.AreEqual(60, summary.Accepted, summary.Describe());
        Assert.HasCount(60, rows);
        Assert.AreEqual(manifest.RsnaPositives, rows.Count(r => r.Target));
        Assert.IsTrue(manifest.RsnaPositives is > 10 and < 40, $"{manifest.RsnaPositives} positives of 60");
        int brighter = 0;
        foreach (var row in rows)
        {
            Assert.AreEqual(row.Target, row.BoxCount > 0, row.PatientId);
            Assert.HasCount(4 * row.BoxCount, row.Boxes);
            if (!row.Target)
                continue;
            var (gray, w, h) = GrayscaleImage.Read(row.ImagePath);
            var (x, y, bw, bh) = ((int)row.Boxes[0], (int)row.Boxes[1], (int)row.Boxes[2], (int)row.Boxes[3]);
            Assert.IsTrue(x >= 0 && y >= 0 && x + bw <= w && y + bh <= h, $"{row.PatientId}: box inside the image");
            // Consolidation is opacity: the box is brighter than the same place in the other lung (the mirror image).
            if (Mean(gray, w, x, y, bw, bh) > Mean(gray, w, w - x - bw, y, bw, bh))
                brighter++;
        }
        Assert.IsGreaterThanOrEqualTo(
            0.8 * manifest.RsnaPositives,
            brighter,
            $"{brighter} of {manifest.RsnaPositives} boxes brighter than their mirror"
        );
    }

    [TestMethod]
    public void SiimMasksLieOnTheDrawnAirRim()
    {
        var (_, manifest) = Data.Value;
        var ml = new MLContext(seed: 1);
        var rows = ml
            .Data.CreateEnumerable<SiimPneumothoraxImage>(ml.Data.LoadSiimPneumothorax(manifest.SiimRoot, out var summary), false)
            .ToList();
        Assert.AreEqual(60, summary.Accepted, summary.Describe());
        Assert.AreEqual(manifest.SiimPositives, rows.Count(r => r.Pneumothorax));
        int darker = 0;
        foreach (var row in rows.Where(r => r.Pneumothorax))
        {
            var (gray, w, h) = GrayscaleImage.Read(row.ImagePath);
            var mask = new byte[w * h];
            foreach (var encoded in row.EncodedPixels)
                SiimRunLength.DecodeInto(encoded, w, h, mask);
            Assert.IsTrue(mask.Any(m => m == 1), row.ImageId);
            // The rim is air: darker than the mask mirrored left-right (a transposed or mirrored decode lands elsewhere).
            double inside = 0,
                mirrored = 0;
            int n = 0;
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (mask[y * w + x] == 1)
                {
                    inside += gray[y * w + x];
                    mirrored += gray[y * w + (w - 1 - x)];
                    n++;
                }
            if (inside / n < mirrored / n)
                darker++;
        }
        Assert.IsGreaterThanOrEqualTo(
            0.8 * manifest.SiimPositives,
            darker,
            $"{darker} of {manifest.SiimPositives} masks darker than their mirror"
        );
    }

    [TestMethod]
    public void BadRowsAndMissingImagesAreSkippedAndNamed()
    {
        var root = SyntheticFixture.NewTempFolder();
        var images = Path.Combine(root, DownstreamCatalog.RsnaImageFolder);
        Directory.CreateDirectory(images);
        foreach (var id in new[] { "a", "b", "c", "d" })
            File.WriteAllBytes(Path.Combine(images, id + ".jpg"), GrayscaleJpeg.Encode(new byte[64], 8, 8));
        File.WriteAllText(
            Path.Combine(root, DownstreamCatalog.RsnaLabelsFile),
            "patientId,x,y,width,height,Target\na,,,,,0\nb,1,2,3,4,1\nb,5,6,7,8,1\nc,,,,,2\nd,1,2,,4,1\nmissing,,,,,0\n"
        );
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(root, out var summary), false).ToList();
        CollectionAssert.AreEqual(new[] { "a", "b" }, rows.Select(r => r.PatientId).ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, rows[1].Boxes, "two rows of one patient are two boxes");
        Assert.AreEqual(2, summary.Count(SkipReason.MalformedRow));
        Assert.AreEqual(1, summary.Count(SkipReason.MissingImage));
        StringAssert.Contains(summary.Describe(), "Target must be 0 or 1, not '2'");
        Assert.AreEqual(
            6L,
            summary.Items.Single(i => i.Detail.Contains("needs a box", StringComparison.Ordinal)).Row,
            "the CSV line is named"
        );

        var siim = SyntheticFixture.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(siim, "dicom-images-train", "1.2", "1.3"));
        File.WriteAllText(Path.Combine(siim, "dicom-images-train", "1.2", "1.3", "1.2.3.dcm"), "DICM");
        File.WriteAllText(Path.Combine(siim, DownstreamCatalog.SiimMasksFile), "ImageId, EncodedPixels\n1.2.3, -1\n1.2.4, 1 2 3\n");
        ml.Data.LoadSiimPneumothorax(siim, out var siimSummary);
        Assert.AreEqual(0, siimSummary.Accepted);
        StringAssert.Contains(siimSummary.Describe(), "only DICOM files are there; convert them to PNG or JPEG");
        StringAssert.Contains(siimSummary.Describe(), "pairs");
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadSiimPneumothorax(Path.Combine(siim, "nowhere")));
    }

    private static double Mean(byte[] gray, int width, int x, int y, int w, int h)
    {
        double sum = 0;
        for (int r = y; r < y + h; r++)
        for (int c = x; c < x + w; c++)
            sum += gray[r * width + c];
        return sum / (w * h);
    }
}
