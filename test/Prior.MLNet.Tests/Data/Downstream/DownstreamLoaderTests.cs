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
        foreach (var id in new[] { "a", "b", "c", "d", "e" })
            File.WriteAllBytes(Path.Combine(images, id + ".jpg"), GrayscaleJpeg.Encode(new byte[256], 16, 16));
        File.WriteAllText(
            Path.Combine(root, DownstreamCatalog.RsnaLabelsFile),
            "patientId,x,y,width,height,Target\na,,,,,0\nb,1,2,3,4,1\nb,5,6,7,8,1\nc,,,,,2\nd,1,2,,4,1\nmissing,,,,,0\ne,10,10,8,2,1\n"
        );
        var ml = new MLContext(seed: 1);
        var rows = ml
            .Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(root, out var summary, annotationImageSize: 16), false)
            .ToList();
        CollectionAssert.AreEqual(new[] { "a", "b" }, rows.Select(r => r.PatientId).ToArray());
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, rows[1].Boxes, "two rows of one patient are two boxes");
        Assert.AreEqual((16, 16), (rows[1].Width, rows[1].Height));
        Assert.AreEqual(3, summary.Count(SkipReason.MalformedRow));
        StringAssert.Contains(summary.Describe(), "e: box 1 (10, 10, 8 × 2) lies outside the 16 × 16 image");
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
        Assert.AreEqual(1, siimSummary.Count(SkipReason.UnreadableImage), siimSummary.Describe());
        StringAssert.Contains(siimSummary.Describe(), "1.2.3.dcm: not an image this library reads");
        StringAssert.Contains(siimSummary.Describe(), "pairs");
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadSiimPneumothorax(Path.Combine(siim, "nowhere")));
    }

    [TestMethod]
    public void TheDicomsAreReadAsDownloadedWithTheirGeometry()
    {
        var (_, manifest) = Data.Value;
        var ml = new MLContext(seed: 1);
        var rsna = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(manifest.RsnaRoot), false).ToList();
        var siim = ml.Data.CreateEnumerable<SiimPneumothoraxImage>(ml.Data.LoadSiimPneumothorax(manifest.SiimRoot), false).ToList();
        foreach (var row in rsna)
        {
            Assert.AreEqual(Path.Combine(manifest.RsnaRoot, DownstreamCatalog.RsnaImageFolder, row.PatientId + ".dcm"), row.ImagePath);
            Assert.AreEqual((64, 64), (row.Width, row.Height), "the geometry is the DICOM's Rows and Columns");
        }
        foreach (var row in siim)
        {
            // dicom-images-train/STUDY/SERIES/IMAGEID.dcm, three levels down, as Kaggle ships it.
            var relative = Path.GetRelativePath(Path.Combine(manifest.SiimRoot, DownstreamCatalog.SiimImageFolder), row.ImagePath);
            Assert.HasCount(3, relative.Split(Path.DirectorySeparatorChar), relative);
            Assert.AreEqual(row.ImageId + ".dcm", Path.GetFileName(row.ImagePath));
            Assert.AreEqual((64, 64), (row.Width, row.Height));
        }
    }

    [TestMethod]
    public void ConvertedCopiesAreReadAtTheirAnnotationSizeAndRefusedResized()
    {
        var (_, manifest) = Data.Value;
        var ml = new MLContext(seed: 1);
        var dicoms = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(manifest.RsnaRoot), false).ToList();

        // The same set converted to PNG at the native size (the DICOMs left behind): the same rows, boxes and pixels.
        var root = SyntheticFixture.NewTempFolder();
        File.Copy(Path.Combine(manifest.RsnaRoot, DownstreamCatalog.RsnaLabelsFile), Path.Combine(root, DownstreamCatalog.RsnaLabelsFile));
        Directory.CreateDirectory(Path.Combine(root, DownstreamCatalog.RsnaImageFolder));
        foreach (var row in dicoms)
            WritePng(Path.Combine(root, DownstreamCatalog.RsnaImageFolder, row.PatientId + ".png"), row.ImagePath, 64);
        Assert.ThrowsExactly<InvalidDataException>(
            () => ml.Data.LoadRsnaPneumonia(root),
            "a 64-pixel copy of a set annotated at the published 1024 is refused"
        );
        var converted = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(root, 64), false).ToList();
        CollectionAssert.AreEqual(dicoms.Select(r => r.PatientId).ToList(), converted.Select(r => r.PatientId).ToList());
        CollectionAssert.AreEqual(dicoms.SelectMany(r => r.Boxes).ToList(), converted.SelectMany(r => r.Boxes).ToList());
        CollectionAssert.AreEqual(GrayscaleImage.Read(dicoms[0].ImagePath).Pixels, GrayscaleImage.Read(converted[0].ImagePath).Pixels);

        // A downscaled copy misplaces every box: refused, naming the file and both sizes.
        WritePng(Path.Combine(root, DownstreamCatalog.RsnaImageFolder, dicoms[3].PatientId + ".png"), dicoms[3].ImagePath, 32);
        var refused = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadRsnaPneumonia(root, 64));
        StringAssert.Contains(refused.Message, dicoms[3].PatientId + ".png: 32 × 32 pixels");
        StringAssert.Contains(refused.Message, "in 64 × 64 pixels");

        // With the DICOM beside a copy, the DICOM is read (its header is the geometry's authority).
        File.Copy(dicoms[3].ImagePath, Path.Combine(root, DownstreamCatalog.RsnaImageFolder, dicoms[3].PatientId + ".dcm"));
        var mixed = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(root, 64), false).ToList();
        Assert.EndsWith(".dcm", mixed.Single(r => r.PatientId == dicoms[3].PatientId).ImagePath);
    }

    [TestMethod]
    public void SiimStageTwoStandardRunsGiveTheSameMasks()
    {
        var (_, manifest) = Data.Value;
        var ml = new MLContext(seed: 1);
        var stage1 = ml.Data.CreateEnumerable<SiimPneumothoraxImage>(ml.Data.LoadSiimPneumothorax(manifest.SiimRoot), false).ToList();
        Assert.IsTrue(stage1.Any(r => r.EncodedPixels.Any(e => e.Split(' ').Length >= 4)), "some mask has several runs");

        // stage_2_train.csv beside train-rle.csv, in Kaggle's standard form written here from the decoded pixels:
        // 1-based start and length of each run down the columns.
        var root = SyntheticFixture.NewTempFolder();
        var lines = new List<string> { "ImageId,EncodedPixels" };
        foreach (var row in stage1)
        {
            var mask = Mask(row);
            var runs = new List<string>();
            for (int p = 0; p < mask.Length; )
            {
                if (mask[p % 64 * 64 + p / 64] == 0)
                {
                    p++;
                    continue;
                }
                int start = p;
                while (p < mask.Length && mask[p % 64 * 64 + p / 64] == 1)
                    p++;
                runs.Add($"{start + 1} {p - start}");
            }
            lines.Add($"{row.ImageId},{(runs.Count == 0 ? "-1" : string.Join(' ', runs))}");
        }
        File.WriteAllLines(Path.Combine(root, DownstreamCatalog.SiimStage2MasksFile), lines);
        File.WriteAllText(Path.Combine(root, DownstreamCatalog.SiimMasksFile), "ImageId, EncodedPixels\n"); // stage 2 wins
        foreach (var row in stage1)
            File.Copy(row.ImagePath, Path.Combine(root, row.ImageId + ".dcm"));
        var stage2 = ml.Data.CreateEnumerable<SiimPneumothoraxImage>(ml.Data.LoadSiimPneumothorax(root, out var summary), false).ToList();
        Assert.HasCount(stage1.Count, stage2, summary.Describe());
        foreach (var (one, two) in stage1.Zip(stage2))
            CollectionAssert.AreEqual(Mask(one), Mask(two), one.ImageId);

        // Stage 1's relative runs under stage 2's name are told by their content and read as they are.
        File.Copy(
            Path.Combine(manifest.SiimRoot, DownstreamCatalog.SiimMasksFile),
            Path.Combine(root, DownstreamCatalog.SiimStage2MasksFile),
            overwrite: true
        );
        var relative = ml.Data.CreateEnumerable<SiimPneumothoraxImage>(ml.Data.LoadSiimPneumothorax(root), false).ToList();
        foreach (var (one, two) in stage1.Zip(relative))
            CollectionAssert.AreEqual(Mask(one), Mask(two), one.ImageId);

        // A mask that runs past the image is skipped and named.
        File.WriteAllText(
            Path.Combine(root, DownstreamCatalog.SiimStage2MasksFile),
            $"ImageId,EncodedPixels\n{stage1[0].ImageId},4000 200\n{stage1[1].ImageId},-1\n"
        );
        ml.Data.LoadSiimPneumothorax(root, out var pastEnd);
        Assert.AreEqual(1, pastEnd.Accepted);
        StringAssert.Contains(pastEnd.Describe(), "a mask runs to pixel 4,199, past the 64 × 64 image");
    }

    [TestMethod]
    public void DicomsMadeByDcmtkGiveTheirRowsAndColumnsAndUnreadSyntaxesAreNamed()
    {
        // dcmtk's files (TestData/dicom: 96 columns × 80 rows, so a swap shows) under RSNA's names, in every form read.
        var root = SyntheticFixture.NewTempFolder();
        var folder = Path.Combine(root, DownstreamCatalog.RsnaImageFolder);
        Directory.CreateDirectory(folder);
        string[] forms = ["explicit-le", "implicit-le", "no-meta", "jpeg-baseline", "lossless-sv6-12bit-monochrome1", "htj2k"];
        foreach (var form in forms)
            File.Copy(
                Path.Combine(RepositoryPaths.TestData, "dicom", form == "htj2k" ? "conformance/files/refused-htj2k.dcm" : form + ".dcm"),
                Path.Combine(folder, form + ".dcm")
            );
        // A box reaching the right edge fits 96 × 80; the same box turned (reaching row 95) does not.
        File.WriteAllText(
            Path.Combine(root, DownstreamCatalog.RsnaLabelsFile),
            "patientId,x,y,width,height,Target\n"
                + string.Join("", forms.Select(f => f == "implicit-le" ? $"{f},70,86,5,9,1\n" : $"{f},86,70,9,5,1\n"))
        );
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(root, out var summary), false).ToList();
        CollectionAssert.AreEqual(
            new[] { "explicit-le", "no-meta", "jpeg-baseline", "lossless-sv6-12bit-monochrome1" },
            rows.Select(r => r.PatientId).ToArray(),
            summary.Describe()
        );
        Assert.IsTrue(rows.All(r => (r.Width, r.Height) == (96, 80)), "Columns are the width, Rows the height");
        StringAssert.Contains(summary.Describe(), "implicit-le: box 1 (70, 86, 5 × 9) lies outside the 96 × 80 image");
        var htj2k = summary.Items.Single(i => i.Reason == SkipReason.UnreadableImage);
        StringAssert.EndsWith(htj2k.Path, "htj2k.dcm");
        StringAssert.Contains(htj2k.Detail, "1.2.840.10008.1.2.4.201", "the transfer syntax is named by its UID");
    }

    [TestMethod]
    public void AnUnreadableDicomIsSkippedAndNamed()
    {
        var (_, manifest) = Data.Value;
        var root = SyntheticFixture.NewTempFolder();
        File.Copy(Path.Combine(manifest.RsnaRoot, DownstreamCatalog.RsnaLabelsFile), Path.Combine(root, DownstreamCatalog.RsnaLabelsFile));
        var folder = Path.Combine(root, DownstreamCatalog.RsnaImageFolder);
        Directory.CreateDirectory(folder);
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(manifest.RsnaRoot), false).ToList();
        foreach (var row in rows)
            File.Copy(row.ImagePath, Path.Combine(folder, Path.GetFileName(row.ImagePath)));
        // Cut inside the header (a copy interrupted after 200 bytes).
        var cut = Path.Combine(folder, rows[0].PatientId + ".dcm");
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..200]);
        ml.Data.LoadRsnaPneumonia(root, out var summary);
        Assert.AreEqual(rows.Count - 1, summary.Accepted);
        Assert.AreEqual(1, summary.Count(SkipReason.UnreadableImage));
        StringAssert.Contains(summary.Describe(), rows[0].PatientId + ".dcm: truncated");
    }

    private static byte[] Mask(SiimPneumothoraxImage row)
    {
        var mask = new byte[row.Width * row.Height];
        foreach (var encoded in row.EncodedPixels)
            SiimRunLength.DecodeInto(encoded, row.Width, row.Height, mask);
        return mask;
    }

    private static void WritePng(string path, string source, int size)
    {
        var (pixels, width, height) = GrayscaleImage.Read(source);
        var resized = size == width ? pixels : AreaResize.Downscale(pixels, width, height, size, size);
        using var bitmap = new SkiaSharp.SKBitmap(
            new SkiaSharp.SKImageInfo(size, size, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque)
        );
        System.Runtime.InteropServices.Marshal.Copy(resized, 0, bitmap.GetPixels(), resized.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
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
