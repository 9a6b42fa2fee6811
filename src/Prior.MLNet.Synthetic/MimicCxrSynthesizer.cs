using System.Globalization;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.IO;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// Writes a synthetic MIMIC-CXR-JPG 2.0.0 tree (images and the three <c>.csv.gz</c> tables) and MIMIC-CXR report
/// files, with the real layout, column set and value conventions, and plants the defects a real install has.
/// </summary>
internal static class MimicCxrSynthesizer
{
    private static readonly string[] MetadataHeader =
    [
        "dicom_id",
        "subject_id",
        "study_id",
        "PerformedProcedureStepDescription",
        "ViewPosition",
        "Rows",
        "Columns",
        "StudyDate",
        "StudyTime",
        "ProcedureCodeSequence_CodeMeaning",
        "ViewCodeSequence_CodeMeaning",
        "PatientOrientationCodeSequence_CodeMeaning",
    ];

    // mimic-cxr-2.0.0-chexpert.csv lists the observations alphabetically, unlike CheXpert's own CSVs.
    private static readonly string[] ChexpertColumns = ChexpertLabels.Names.Order(StringComparer.Ordinal).ToArray();

    private enum Defect
    {
        None,
        MissingReport,
        MissingImage,
        NoUsableSection,
        TooShort,
        MalformedRow,
        UnknownView,
    }

    private sealed record Image(string DicomId, SyntheticView View, bool Written);

    private sealed record Study(
        int Index,
        long SubjectId,
        long StudyId,
        string Split,
        Defect Defect,
        List<Image> Images,
        SyntheticCase Case,
        string Date,
        string Time
    );

    public static void Write(
        string jpgRoot,
        string reportRoot,
        SyntheticDatasetOptions options,
        Dictionary<string, int> skips,
        out int usable,
        out int imageRows,
        IProgress<string>? progress,
        System.Collections.Concurrent.ConcurrentDictionary<string, SyntheticSentenceType>? sentenceTypes = null
    )
    {
        var studies = Plan(options);
        var filesRoot = Path.Combine(jpgRoot, "files");
        var reportFiles = Path.Combine(reportRoot, "files");
        int done = 0;
        Parallel.ForEach(studies, options.ParallelOptions(), study =>
        {
            WriteStudy(study, filesRoot, reportFiles, options, sentenceTypes);
            int n = Interlocked.Increment(ref done);
            if (n % 100 == 0 || n == studies.Count)
                progress?.Report($"MIMIC-CXR: {n}/{studies.Count} studies");
        });

        CompressedText.WriteAtomically(Path.Combine(jpgRoot, MimicCxrPaths.MetadataFile), w =>
        {
            CsvWriter.WriteRow(w, MetadataHeader);
            foreach (var study in studies)
            {
                foreach (var image in study.Images)
                    CsvWriter.WriteRow(w, MetadataRow(study, image, options.ImageSize));
                if (study.Defect == Defect.MalformedRow)
                {
                    // A row cut short, as a broken export leaves it.
                    w.Write(
                        FormattableString.Invariant(
                            $"{DicomIdFrom(study.StudyId, study.Index, 99)},{study.SubjectId},{study.StudyId},CHEST (PA AND LAT)\n"
                        )
                    );
                }
            }
        });
        CompressedText.WriteAtomically(Path.Combine(jpgRoot, MimicCxrPaths.SplitFile), w =>
        {
            CsvWriter.WriteRow(w, ["dicom_id", "study_id", "subject_id", "split"]);
            foreach (var study in studies)
            {
                foreach (var image in study.Images)
                    CsvWriter.WriteRow(w, [image.DicomId, Inv(study.StudyId), Inv(study.SubjectId), study.Split]);
            }
        });
        CompressedText.WriteAtomically(Path.Combine(jpgRoot, MimicCxrPaths.ChexpertFile), w =>
        {
            CsvWriter.WriteRow(w, new[] { "subject_id", "study_id" }.Concat(ChexpertColumns));
            foreach (var study in studies)
            {
                var labels = study.Case.Labels();
                CsvWriter.WriteRow(
                    w,
                    new[] { Inv(study.SubjectId), Inv(study.StudyId) }.Concat(
                        ChexpertColumns.Select(c => ChexpertLabels.Format(labels[ChexpertLabels.IndexOf(c)]))
                    )
                );
            }
        });

        // The counts a correct loader must report for this tree.
        usable = 0;
        imageRows = 0;
        void Add(SkipReason reason, int n = 1)
        {
            if (n > 0)
                skips[reason.ToString()] = skips.GetValueOrDefault(reason.ToString()) + n;
        }
        foreach (var study in studies)
        {
            imageRows += study.Images.Count + (study.Defect == Defect.MalformedRow ? 1 : 0);
            if (study.Defect == Defect.MalformedRow)
                Add(SkipReason.MalformedRow);
            Add(SkipReason.UnknownView, study.Images.Count(i => i.View == (SyntheticView)(-1)));
            Add(SkipReason.ViewFiltered, study.Images.Count(i => i.View == SyntheticView.Lateral));
            int frontal = study.Images.Count(i => i.View is SyntheticView.PA or SyntheticView.AP);
            int missing = study.Images.Count(i => i.View is SyntheticView.PA or SyntheticView.AP && !i.Written);
            Add(SkipReason.MissingImage, missing);
            if (study.Defect == Defect.MissingReport)
                Add(SkipReason.MissingReport);
            else if (study.Defect == Defect.NoUsableSection)
                Add(SkipReason.NoUsableSection);
            else if (study.Defect == Defect.TooShort)
                Add(SkipReason.TooFewSentences);
            else if (frontal - missing == 0)
                Add(SkipReason.NoFrontalImage);
            else
                usable++;
        }
    }

    private static List<Study> Plan(SyntheticDatasetOptions options)
    {
        var studies = new List<Study>(options.Studies);
        var random = DeterministicRandom.Derive(options.Seed, "mimic-plan", 0);
        int patient = -1;
        long subject = 0;
        string split = "train";
        for (int i = 0; i < options.Studies; i++)
        {
            if (patient < 0 || random.Chance(0.55))
            {
                patient++;
                subject = 10_000_000 + (patient * 1_000_003L % 10_000_000);
                double s = random.NextDouble();
                split =
                    s < 0.9 ? "train"
                    : s < 0.95 ? "validate"
                    : "test";
            }
            long studyId = 50_000_000 + (i * 7_777_777L % 10_000_000);
            var defect = Defect.None;
            if (random.Chance(options.DefectRate))
                defect = (Defect)(1 + random.Next(6));

            var caseRandom = DeterministicRandom.Derive(options.Seed, "mimic-case", i);
            var synthetic = SyntheticCase.Sample(caseRandom);
            bool portable = synthetic.Find(FindingKind.SupportDevices) is not null ? random.Chance(0.8) : random.Chance(0.25);
            var views = new List<SyntheticView>();
            if (portable)
            {
                views.Add(SyntheticView.AP);
                if (random.Chance(0.15))
                    views.Add(SyntheticView.Lateral);
            }
            else
            {
                views.Add(SyntheticView.PA);
                views.Add(SyntheticView.Lateral);
                if (random.Chance(0.12))
                    views.Add(SyntheticView.PA);
            }
            if (defect == Defect.UnknownView)
                views.Add((SyntheticView)(-1));
            var images = new List<Image>();
            for (int k = 0; k < views.Count; k++)
            {
                bool written = !(defect == Defect.MissingImage && views[k] is SyntheticView.PA or SyntheticView.AP);
                images.Add(new Image(DicomIdFrom(options.Seed, i, k), views[k], written));
            }
            var date = new DateTime(2110, 1, 1).AddDays(random.Next(365 * 80)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            var time = (random.Next(24) * 10000 + random.Next(60) * 100 + random.Next(60) + random.Next(1000) / 1000.0).ToString(
                "0.###",
                CultureInfo.InvariantCulture
            );
            studies.Add(new Study(i, subject, studyId, split, defect, images, synthetic, date, time));
        }
        return studies;
    }

    private static string DicomIdFrom(long seed, int study, int image)
    {
        var random = DeterministicRandom.Derive(seed, "dicom", study * 16L + image);
        return string.Join(
            '-',
            Enumerable.Range(0, 5).Select(_ => ((uint)random.NextUInt64()).ToString("x8", CultureInfo.InvariantCulture))
        );
    }

    private static void WriteStudy(
        Study study,
        string filesRoot,
        string reportFiles,
        SyntheticDatasetOptions options,
        System.Collections.Concurrent.ConcurrentDictionary<string, SyntheticSentenceType>? sentenceTypes
    )
    {
        int size = options.ImageSize;
        for (int k = 0; k < study.Images.Count; k++)
        {
            var image = study.Images[k];
            if (!image.Written)
                continue;
            var random = DeterministicRandom.Derive(options.Seed, "mimic-image", study.Index * 16L + k);
            var view = image.View == (SyntheticView)(-1) ? SyntheticView.PA : image.View;
            var pixels = ChestRadiographRenderer.Render(study.Case, view, size, size, random);
            var path = Path.Combine(filesRoot, MimicCxrPaths.Image(study.SubjectId, study.StudyId, image.DicomId));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, GrayscaleJpeg.Encode(pixels, size, size, options.JpegQuality));
        }
        if (study.Defect == Defect.MissingReport)
            return;
        var style = study.Defect switch
        {
            Defect.NoUsableSection => ReportStyle.NoUsableSection,
            Defect.TooShort => ReportStyle.TooShort,
            _ => DeterministicRandom.Derive(options.Seed, "style", study.Index).Chance(0.1)
                ? ReportStyle.ImpressionOnly
                : ReportStyle.Standard,
        };
        var frontal = study.Images.Any(i => i.View == SyntheticView.AP) ? SyntheticView.AP : SyntheticView.PA;
        var report = ReportComposer.Compose(study.Case, frontal, style, DeterministicRandom.Derive(options.Seed, "report", study.Index));
        var reportPath = Path.Combine(reportFiles, MimicCxrPaths.Report(study.SubjectId, study.StudyId));
        Directory.CreateDirectory(Path.GetDirectoryName(reportPath)!);
        File.WriteAllText(reportPath, report.Text);
        if (sentenceTypes is not null)
        {
            foreach (var (text, type) in report.SentenceTypes)
                sentenceTypes.TryAdd(text, type);
        }
    }

    private static string[] MetadataRow(Study study, Image image, int size)
    {
        var (position, description, code, orientation) = image.View switch
        {
            SyntheticView.PA => ("PA", "CHEST (PA AND LAT)", "postero-anterior", "Erect"),
            SyntheticView.AP => ("AP", "CHEST (PORTABLE AP)", "antero-posterior", "Recumbent"),
            SyntheticView.Lateral => ("LATERAL", "CHEST (PA AND LAT)", "lateral", "Erect"),
            _ => ("", "CHEST (PA AND LAT)", "", ""),
        };
        return
        [
            image.DicomId,
            Inv(study.SubjectId),
            Inv(study.StudyId),
            description,
            position,
            Inv(size),
            Inv(size),
            study.Date,
            study.Time,
            description,
            code,
            orientation,
        ];
    }

    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);
}
