using System.Globalization;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.IO;

namespace Prior.MLNet.Synthetic;

/// <summary>What <see cref="SyntheticDownstreamGenerator.Generate"/> wrote.</summary>
/// <param name="RsnaRoot">The RSNA Pneumonia Detection folder.</param>
/// <param name="RsnaPositives">Images with at least one consolidation box.</param>
/// <param name="SiimRoot">The SIIM-ACR Pneumothorax folder.</param>
/// <param name="SiimPositives">Images with a pneumothorax mask.</param>
/// <param name="Images">Images per dataset.</param>
public sealed record SyntheticDownstreamManifest(string RsnaRoot, int RsnaPositives, string SiimRoot, int SiimPositives, int Images);

/// <summary>
/// Writes synthetic RSNA Pneumonia Detection and SIIM-ACR Pneumothorax sets in their real layouts, from the same
/// radiograph renderer as the pretraining data: RSNA's boxes bound the consolidations the renderer drew, SIIM's masks
/// are the pneumothorax air rims it drew (<see cref="ChestRadiographRenderer.RenderWithRegions"/>). Images are DICOM
/// as both datasets ship them (8-bit MONOCHROME2, explicit VR little endian): RSNA's
/// <c>stage_2_train_images/PATIENTID.dcm</c>, SIIM's <c>dicom-images-train/STUDY/SERIES/IMAGEID.dcm</c>; boxes and masks
/// are in the images' own pixels. Deterministic for a seed, like the rest of the generator.
/// </summary>
public static class SyntheticDownstreamGenerator
{
    /// <summary>The RSNA folder under the output.</summary>
    public const string RsnaFolder = "rsna-pneumonia";

    /// <summary>The SIIM-ACR folder under the output.</summary>
    public const string SiimFolder = "siim-acr-pneumothorax";

    /// <summary>
    /// Writes <paramref name="images"/> images per dataset at <paramref name="imageSize"/> pixels into
    /// <c>OUTPUT/rsna-pneumonia/</c> and <c>OUTPUT/siim-acr-pneumothorax/</c>; about 40 % of each are positive.
    /// </summary>
    public static SyntheticDownstreamManifest Generate(
        string outputDirectory,
        int images = 600,
        int imageSize = 128,
        long seed = Training.PriorTrainerOptions.DefaultSeed
    )
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 32);
        var rsna = Path.Combine(outputDirectory, RsnaFolder);
        var siim = Path.Combine(outputDirectory, SiimFolder);
        Directory.CreateDirectory(Path.Combine(rsna, DownstreamCatalog.RsnaImageFolder));
        Directory.CreateDirectory(Path.Combine(siim, DownstreamCatalog.SiimImageFolder));

        var rsnaRows = new (string Id, IReadOnlyList<PixelBox> Boxes)[images];
        var siimRows = new (string Id, string Encoded)[images];
        Parallel.For(0, images, i =>
        {
            bool positive = DeterministicRandom.Derive(seed, "rsna-positive", i).Chance(0.4);
            var (pixels, regions) = Render(
                seed,
                "rsna",
                i,
                positive ? FindingKind.Consolidation : null,
                avoid: FindingKind.Consolidation,
                imageSize
            );
            var id = Guid(seed, "rsna", i);
            var view = DeterministicRandom.Derive(seed, "rsna-view", i).Chance(0.5) ? "PA" : "AP";
            SyntheticDicom.Write(
                Path.Combine(rsna, DownstreamCatalog.RsnaImageFolder, id + ".dcm"),
                pixels,
                imageSize,
                imageSize,
                new SyntheticDicom.Identity(id, Uid(seed, "rsna-study", i), Uid(seed, "rsna-series", i), Uid(seed, "rsna-image", i), view)
            );
            rsnaRows[i] = (id, regions.ConsolidationBoxes);

            positive = DeterministicRandom.Derive(seed, "siim-positive", i).Chance(0.4);
            (pixels, regions) = Render(
                seed,
                "siim",
                i,
                positive ? FindingKind.Pneumothorax : null,
                avoid: FindingKind.Pneumothorax,
                imageSize
            );
            // SIIM's identifiers: instance, study and series UIDs of one root, the instance UID naming the file.
            string SiimUid(int kind) =>
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"1.2.276.0.7230010.3.1.{kind}.8323329.{10000 + i}.1517875162.{(seed + i * 7919) % 1000000}"
                );
            id = SiimUid(4);
            var series = Path.Combine(siim, DownstreamCatalog.SiimImageFolder, SiimUid(2), SiimUid(3));
            Directory.CreateDirectory(series);
            SyntheticDicom.Write(
                Path.Combine(series, id + ".dcm"),
                pixels,
                imageSize,
                imageSize,
                new SyntheticDicom.Identity(Guid(seed, "siim-patient", i), SiimUid(2), SiimUid(3), id, "PA")
            );
            siimRows[i] = (id, SiimRunLength.Encode(regions.PneumothoraxMask, imageSize, imageSize));
        });

        CompressedText.WriteAtomically(Path.Combine(rsna, DownstreamCatalog.RsnaLabelsFile), w =>
        {
            CsvWriter.WriteRow(w, ["patientId", "x", "y", "width", "height", "Target"]);
            foreach (var (id, boxes) in rsnaRows)
            {
                if (boxes.Count == 0)
                    CsvWriter.WriteRow(w, [id, "", "", "", "", "0"]);
                foreach (var b in boxes)
                    CsvWriter.WriteRow(w, [id, F(b.X), F(b.Y), F(b.Width), F(b.Height), "1"]);
            }
        });
        CompressedText.WriteAtomically(Path.Combine(siim, DownstreamCatalog.SiimMasksFile), w =>
        {
            w.Write("ImageId, EncodedPixels\n"); // SIIM's own header, with its space
            foreach (var (id, encoded) in siimRows)
                CsvWriter.WriteRow(w, [id, encoded]);
        });
        return new SyntheticDownstreamManifest(
            rsna,
            rsnaRows.Count(r => r.Boxes.Count > 0),
            siim,
            siimRows.Count(r => r.Encoded != SiimRunLength.Empty),
            images
        );
    }

    // A frontal image built around `primary`, or (without) one that has no `avoid` finding.
    private static (byte[] Pixels, RenderedRegions Regions) Render(
        long seed,
        string dataset,
        int index,
        FindingKind? primary,
        FindingKind avoid,
        int size
    )
    {
        for (int attempt = 0; ; attempt++)
        {
            var random = DeterministicRandom.Derive(seed, $"{dataset}-case-{attempt}", index);
            var synthetic = primary is { } p ? SyntheticCase.Sample(random, p) : SyntheticCase.Sample(random, normal: random.Chance(0.5));
            if (primary is null && synthetic.Find(avoid) is not null)
                continue;
            var view = random.Chance(0.5) ? SyntheticView.PA : SyntheticView.AP;
            var rendered = ChestRadiographRenderer.RenderWithRegions(
                synthetic,
                view,
                size,
                size,
                DeterministicRandom.Derive(seed, $"{dataset}-image", index)
            );
            // A positive whose finding covers no pixel at this size (a faint rim) is drawn again.
            bool empty =
                primary == FindingKind.Consolidation
                    ? rendered.Regions.ConsolidationBoxes.Count == 0
                    : primary == FindingKind.Pneumothorax && !rendered.Regions.PneumothoraxMask.Contains((byte)1);
            if (!empty || attempt >= 20)
                return rendered;
        }
    }

    private static string Guid(long seed, string purpose, int index)
    {
        var random = DeterministicRandom.Derive(seed, purpose + "-id", index);
        var bytes = new byte[16];
        for (int i = 0; i < 16; i++)
            bytes[i] = (byte)random.Next(256);
        return new System.Guid(bytes).ToString();
    }

    // A DICOM UID under 2.25 (a UUID as a decimal integer, PS3.5 B.2), deterministic for the seed.
    private static string Uid(long seed, string purpose, int index) =>
        "2.25." + new System.Numerics.BigInteger(System.Guid.Parse(Guid(seed, purpose, index)).ToByteArray(), isUnsigned: true);

    private static string F(int value) => value.ToString(CultureInfo.InvariantCulture);
}
