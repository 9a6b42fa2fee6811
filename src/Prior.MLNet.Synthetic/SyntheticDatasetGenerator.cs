using System.Text.Json;
using Prior.MLNet.IO;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// Writes deterministic synthetic MIMIC-CXR(-JPG) and CheXpert datasets in their real on-disk layouts, so that
/// the loaders run the same code on synthetic and on real data:
/// <code>
/// OUT/mimic-cxr-jpg/2.0.0/files/pXX/pSSSSSSSS/sTTTTTTTT/&lt;dicom_id&gt;.jpg
/// OUT/mimic-cxr-jpg/2.0.0/mimic-cxr-2.0.0-{metadata,split,chexpert}.csv.gz
/// OUT/mimic-cxr-reports/files/pXX/pSSSSSSSS/sTTTTTTTT.txt
/// OUT/CheXpert-v1.0-small/{train,valid}.csv, {train,valid}/patientNNNNN/studyN/viewN_{frontal,lateral}.jpg
/// OUT/synth-manifest.json
/// </code>
/// Images carry localised, learnable evidence of each finding; reports describe what was drawn; labels agree with
/// the reports. The same options give the same bytes. Everything is written to a staging folder first and moved
/// into place at the end, so a crash never leaves a half-written dataset.
/// </summary>
public static class SyntheticDatasetGenerator
{
    /// <summary>The MIMIC-CXR-JPG folder under the output, as PhysioNet lays it out.</summary>
    public const string MimicJpgFolder = "mimic-cxr-jpg/2.0.0";

    /// <summary>The MIMIC-CXR reports folder under the output (the unzipped <c>mimic-cxr-reports.zip</c>).</summary>
    public const string MimicReportsFolder = "mimic-cxr-reports";

    /// <summary>The manifest file name.</summary>
    public const string ManifestFile = "synth-manifest.json";

    /// <summary>Generates the datasets and returns the manifest (also written to <c>synth-manifest.json</c>).</summary>
    public static SyntheticManifest Generate(SyntheticDatasetOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var output = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(output);
        var staging = Path.Combine(output, $".synth-staging-{Guid.NewGuid():N}");
        try
        {
            var builder = new SyntheticManifestBuilder();
            var jpg = Path.Combine(staging, MimicJpgFolder);
            var reports = Path.Combine(staging, MimicReportsFolder);
            Directory.CreateDirectory(Path.Combine(jpg, "files"));
            Directory.CreateDirectory(Path.Combine(reports, "files"));
            var sentenceTypes = new System.Collections.Concurrent.ConcurrentDictionary<string, SyntheticSentenceType>(
                StringComparer.Ordinal
            );
            MimicCxrSynthesizer.Write(
                jpg,
                reports,
                options,
                builder.MimicSkips,
                out int usable,
                out int imageRows,
                progress,
                sentenceTypes
            );
            SyntheticSentenceType.Write(Path.Combine(staging, SyntheticSentenceType.FileName), sentenceTypes);

            var chexpert = Path.Combine(staging, Data.CheXpert.CheXpertColumns.DatasetFolder);
            Directory.CreateDirectory(chexpert);
            if (options.CheXpertImages > 0)
                CheXpertSynthesizer.Write(chexpert, options, builder, progress);

            var manifest = new SyntheticManifest
            {
                Seed = options.Seed,
                ImageSize = options.ImageSize,
                MimicStudies = options.Studies,
                MimicUsableStudies = usable,
                MimicImageRows = imageRows,
                MimicSkips = new(builder.MimicSkips.OrderBy(k => k.Key, StringComparer.Ordinal)),
                CheXpertTrainRows = builder.CheXpertTrainRows,
                CheXpertValidRows = builder.CheXpertValidRows,
                CheXpertTrainSkips = new(builder.CheXpertTrainSkips.OrderBy(k => k.Key, StringComparer.Ordinal)),
                CheXpertSinglePositiveFrontal = builder.SinglePositive,
            };
            AtomicFile.WriteText(Path.Combine(staging, ManifestFile), w =>
                w.Write(JsonSerializer.Serialize(manifest, SyntheticManifest.JsonOptions))
            );

            // Move each finished top-level entry into place, replacing an earlier generation.
            foreach (var entry in new[] { "mimic-cxr-jpg", MimicReportsFolder, Data.CheXpert.CheXpertColumns.DatasetFolder })
            {
                var target = Path.Combine(output, entry);
                if (Directory.Exists(target))
                    Directory.Delete(target, recursive: true);
                Directory.Move(Path.Combine(staging, entry), target);
            }
            File.Move(
                Path.Combine(staging, SyntheticSentenceType.FileName),
                Path.Combine(output, SyntheticSentenceType.FileName),
                overwrite: true
            );
            File.Move(Path.Combine(staging, ManifestFile), Path.Combine(output, ManifestFile), overwrite: true);
            return manifest;
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }
}
