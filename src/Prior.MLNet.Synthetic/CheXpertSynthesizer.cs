using System.Globalization;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.Data.Images;
using Prior.MLNet.IO;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// Writes a synthetic CheXpert-v1.0-small tree: <c>train.csv</c> and <c>valid.csv</c> with the real header and
/// value conventions (1.0 / 0.0 / -1.0 / blank in train, 1.0 / 0.0 in valid) and
/// <c>{train,valid}/patientNNNNN/studyN/viewN_frontal|lateral.jpg</c>. Most studies are built around one finding,
/// as CheXpert's label distribution allows a 5x200 subset of single-positive images.
/// </summary>
internal static class CheXpertSynthesizer
{
    private static readonly FindingKind[] CompetitionKinds =
    [
        FindingKind.Atelectasis,
        FindingKind.Cardiomegaly,
        FindingKind.Consolidation,
        FindingKind.Edema,
        FindingKind.PleuralEffusion,
    ];

    private sealed record Row(
        string Split,
        int Patient,
        int Study,
        int View,
        bool Frontal,
        SyntheticView Projection,
        SyntheticCase Case,
        string Sex,
        int Age,
        bool Missing,
        long Index
    );

    public static void Write(string root, SyntheticDatasetOptions options, SyntheticManifestBuilder manifest, IProgress<string>? progress)
    {
        int total = options.CheXpertImages;
        int validTarget = Math.Min(234, total / 10);
        var rows = Plan(options, total, validTarget);
        int done = 0;
        Parallel.ForEach(rows, options.ParallelOptions(), row =>
        {
            if (!row.Missing)
            {
                var random = DeterministicRandom.Derive(options.Seed, "chexpert-image", row.Index);
                var pixels = ChestRadiographRenderer.Render(row.Case, row.Projection, options.ImageSize, options.ImageSize, random);
                var path = Path.Combine(root, RelativeImage(row));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, GrayscaleJpeg.Encode(pixels, options.ImageSize, options.ImageSize, options.JpegQuality));
            }
            int n = Interlocked.Increment(ref done);
            if (n % 250 == 0 || n == rows.Count)
                progress?.Report($"CheXpert: {n}/{rows.Count} images");
        });

        var train = rows.Where(r => r.Split == "train").ToList();
        var valid = rows.Where(r => r.Split == "valid").ToList();
        bool malformed = options.DefectRate > 0 && train.Count >= 20;
        CompressedText.WriteAtomically(Path.Combine(root, "train.csv"), w =>
        {
            CsvWriter.WriteRow(w, CheXpertColumns.Header);
            for (int i = 0; i < train.Count; i++)
            {
                CsvWriter.WriteRow(w, Fields(train[i], valid: false));
                if (malformed && i == train.Count / 2)
                    w.Write("CheXpert-v1.0-small/train/patient99999/study1/view1_frontal.jpg,Male,61,Frontal\n");
            }
        });
        CompressedText.WriteAtomically(Path.Combine(root, "valid.csv"), w =>
        {
            CsvWriter.WriteRow(w, CheXpertColumns.Header);
            foreach (var row in valid)
                CsvWriter.WriteRow(w, Fields(row, valid: true));
        });

        manifest.CheXpertTrainRows = train.Count + (malformed ? 1 : 0);
        manifest.CheXpertValidRows = valid.Count;
        if (malformed)
            manifest.AddCheXpertSkip(SkipReason.MalformedRow);
        foreach (var row in train.Where(r => r.Missing))
            manifest.AddCheXpertSkip(SkipReason.MissingImage);
        foreach (var row in train.Where(r => r.Frontal && !r.Missing))
        {
            var labels = row.Case.Labels();
            var positives = ChexpertLabels
                .CompetitionFive.Where(c => labels[ChexpertLabels.IndexOf(c)] == ChexpertLabels.Positive)
                .ToList();
            bool othersClean = ChexpertLabels.CompetitionFive.All(c =>
                positives.Contains(c) || labels[ChexpertLabels.IndexOf(c)] is not ChexpertLabels.Uncertain
            );
            if (positives.Count == 1 && othersClean)
                manifest.AddSinglePositive(positives[0]);
        }
    }

    private static List<Row> Plan(SyntheticDatasetOptions options, int total, int validTarget)
    {
        var random = DeterministicRandom.Derive(options.Seed, "chexpert-plan", 0);
        var rows = new List<Row>(total);
        int patient = 0;
        while (rows.Count < total)
        {
            patient++;
            string split = rows.Count < validTarget ? "valid" : "train";
            string sex =
                random.Chance(0.02) ? "Unknown"
                : random.Chance(0.5) ? "Male"
                : "Female";
            int age = random.Next(18, 91);
            int studies = 1 + (random.Chance(0.3) ? 1 : 0);
            for (int s = 1; s <= studies && rows.Count < total; s++)
            {
                long index = rows.Count;
                var caseRandom = DeterministicRandom.Derive(options.Seed, "chexpert-case", index);
                double r = caseRandom.NextDouble();
                var synthetic =
                    r < 0.7 ? SyntheticCase.Sample(caseRandom, CompetitionKinds[caseRandom.Next(5)])
                    : r < 0.8
                        ? SyntheticCase.Sample(
                            caseRandom,
                            caseRandom.Pick([FindingKind.Pneumothorax, FindingKind.SupportDevices, FindingKind.LungLesion])
                        )
                    : r < 0.9 ? SyntheticCase.Sample(caseRandom, normal: true)
                    : SyntheticCase.Sample(caseRandom);
                var projection = random.Chance(0.6) ? SyntheticView.AP : SyntheticView.PA;
                int view = 1;
                bool missing = split == "train" && random.Chance(options.DefectRate / 2);
                rows.Add(new Row(split, patient, s, view++, true, projection, synthetic, sex, age, missing, index));
                if (rows.Count < total && random.Chance(0.3))
                    rows.Add(new Row(split, patient, s, view, false, SyntheticView.Lateral, synthetic, sex, age, false, rows.Count));
            }
        }
        return rows;
    }

    private static string RelativeImage(Row row) =>
        Path.Combine(
            row.Split,
            FormattableString.Invariant($"patient{row.Patient:00000}"),
            FormattableString.Invariant($"study{row.Study}"),
            FormattableString.Invariant($"view{row.View}_{(row.Frontal ? "frontal" : "lateral")}.jpg")
        );

    private static IEnumerable<string> Fields(Row row, bool valid)
    {
        var labels = row.Case.Labels();
        yield return CheXpertColumns.DatasetFolder + "/" + RelativeImage(row).Replace('\\', '/');
        yield return row.Sex;
        yield return row.Age.ToString(CultureInfo.InvariantCulture);
        yield return row.Frontal ? "Frontal" : "Lateral";
        yield return row.Frontal ? row.Projection.ToString() : string.Empty;
        foreach (var value in labels)
        {
            // valid.csv carries radiologists' consensus: only 1.0 and 0.0.
            var v = valid ? (value == ChexpertLabels.Positive || value == ChexpertLabels.Uncertain ? 1f : 0f) : value;
            yield return ChexpertLabels.Format(v);
        }
    }
}
