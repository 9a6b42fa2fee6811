using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;

namespace Prior.MLNet.Tests.Data.Mimic;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class MimicCxrLoaderTests
{
    private static MimicCxrLoaderOptions Options => MimicCxrLoaderOptions.FromRoot(SyntheticFixture.Root);

    private static List<MimicCxrStudy> Rows(IDataView view) =>
        new MLContext(seed: 1).Data.CreateEnumerable<MimicCxrStudy>(view, reuseRowObject: false).ToList();

    [TestMethod]
    public void CountsExactlyTheStudiesTheGeneratorMadeUsableAndEverySkipByReason()
    {
        var manifest = SyntheticFixture.Manifest;
        var view = new MLContext().Data.LoadMimicCxr(Options, out var summary);
        Assert.AreEqual(manifest.MimicUsableStudies, summary.Accepted);
        Assert.AreEqual(manifest.MimicUsableStudies, Rows(view).Count);
        var reported = summary.Skipped.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value);
        CollectionAssert.AreEquivalent(
            manifest.MimicSkips.OrderBy(k => k.Key).ToList(),
            reported.OrderBy(k => k.Key).ToList(),
            summary.Describe()
        );
        // Every defect kind the generator plants occurs at this defect rate, and each is named with its place.
        foreach (
            var reason in new[]
            {
                SkipReason.MalformedRow,
                SkipReason.UnknownView,
                SkipReason.MissingImage,
                SkipReason.MissingReport,
                SkipReason.NoUsableSection,
                SkipReason.TooFewSentences,
                SkipReason.NoFrontalImage,
            }
        )
        {
            Assert.IsGreaterThan(0, summary.Count(reason), $"no {reason} planted");
            Assert.AreEqual(summary.Count(reason), summary.Items.Count(i => i.Reason == reason));
        }
        var malformed = summary.Items.First(i => i.Reason == SkipReason.MalformedRow);
        StringAssert.EndsWith(malformed.Path, "mimic-cxr-2.0.0-metadata.csv.gz");
        Assert.IsNotNull(malformed.Row);
        Assert.IsTrue(
            summary.Items.Where(i => i.Reason == SkipReason.MissingReport).All(i => i.Path.EndsWith(".txt", StringComparison.Ordinal))
        );
    }

    // MIMIC-CXR's DICOM release made from the synthetic JPG release: files/pXX/pSSSSSSSS/sTTTTTTTT/DICOM_ID.dcm (16 bits
    // allocated, 12 stored, windowed, as MIMIC's DICOMs are) with the reports beside the studies, and the JPG release's
    // tables in mimic-cxr/2.0.0/. An image that does not decode is copied as it is (a defect stays a defect).
    private static readonly Lazy<string> DicomRelease = new(() =>
    {
        var root = SyntheticFixture.NewTempFolder();
        var release = Path.Combine(root, "mimic-cxr", "2.0.0");
        var files = Path.Combine(release, "files");
        var jpegs = Path.Combine(SyntheticFixture.MimicJpg, "files");
        foreach (var jpeg in Directory.EnumerateFiles(jpegs, "*.jpg", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(jpegs, jpeg);
            var target = Path.Combine(files, Path.ChangeExtension(relative, ".dcm"));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            try
            {
                var (pixels, width, height) = Prior.MLNet.Data.Images.GrayscaleImage.Read(jpeg);
                var identity = new Prior.MLNet.Synthetic.SyntheticDicom.Identity(
                    parts[1][1..],
                    "2.25.1" + parts[2][1..],
                    "2.25.2" + parts[2][1..],
                    "2.25.3" + Math.Abs(parts[3].GetHashCode()),
                    "PA"
                );
                Prior.MLNet.Synthetic.SyntheticDicom.Write(target, pixels, width, height, identity, bitsStored: 12);
            }
            catch (InvalidDataException)
            {
                File.Copy(jpeg, target);
            }
        }
        foreach (var report in Directory.EnumerateFiles(SyntheticFixture.MimicReports, "*.txt", SearchOption.AllDirectories))
        {
            var target = Path.Combine(files, Path.GetRelativePath(SyntheticFixture.MimicReports, report));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(report, target);
        }
        foreach (var table in Directory.GetFiles(SyntheticFixture.MimicJpg, "*.csv.gz"))
            File.Copy(table, Path.Combine(release, Path.GetFileName(table)));
        return root;
    });

    [TestMethod]
    public void TheDicomReleaseLoadsAsTheJpgReleaseDoes()
    {
        var ml = new MLContext(seed: 1);
        var options = MimicCxrLoaderOptions.FromRoot(DicomRelease.Value);
        Assert.AreEqual(".dcm", options.ImageExtension);
        var dicom = Rows(ml.Data.LoadMimicCxr(options, out var summary));
        var jpeg = Rows(ml.Data.LoadMimicCxr(Options, out var jpegSummary));
        Assert.AreEqual(jpegSummary.Describe(0), summary.Describe(0), "the same studies accepted and skipped, for the same reasons");
        CollectionAssert.AreEqual(jpeg.Select(r => r.StudyId).ToList(), dicom.Select(r => r.StudyId).ToList());
        CollectionAssert.AreEqual(jpeg.SelectMany(r => r.DicomIds).ToList(), dicom.SelectMany(r => r.DicomIds).ToList());
        CollectionAssert.AreEqual(jpeg.SelectMany(r => r.Sentences).ToList(), dicom.SelectMany(r => r.Sentences).ToList());
        Assert.IsTrue(dicom.SelectMany(r => r.ImagePaths).All(p => p.EndsWith(".dcm", StringComparison.Ordinal)));
        // The pixels: 12-bit DICOMs windowed over their stored range read as the JPEGs they were made from.
        foreach (var (one, two) in jpeg.Zip(dicom).Take(5))
            CollectionAssert.AreEqual(
                Prior.MLNet.Data.Images.GrayscaleImage.Read(one.ImagePath).Pixels,
                Prior.MLNet.Data.Images.GrayscaleImage.Read(two.ImagePath).Pixels,
                two.ImagePath
            );
        // The index keeps the DICOM paths and loads to the same rows.
        var index = Path.Combine(SyntheticFixture.NewTempFolder(), "mimic-dicom.jsonl.gz");
        MimicCxrIndex.Write(options, index);
        var fromIndex = Rows(ml.Data.LoadMimicCxr(MimicCxrLoaderOptions.FromRoot(index)));
        CollectionAssert.AreEqual(dicom.SelectMany(r => r.ImagePaths).ToList(), fromIndex.SelectMany(r => r.ImagePaths).ToList());
    }

    [TestMethod]
    public void TheDicomReleaseWithoutTheMetadataTableSaysWhereToPutIt()
    {
        var root = SyntheticFixture.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(root, "mimic-cxr", "2.0.0", "files", "p10"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => MimicCxrLoaderOptions.FromRoot(root));
        StringAssert.Contains(e.Message, "mimic-cxr-2.0.0-metadata.csv.gz, which gives each image's view position");
        Assert.ThrowsExactly<ArgumentException>(() =>
            new MLContext().Data.LoadMimicCxr(
                new MimicCxrLoaderOptions
                {
                    ImageFolder = root,
                    ReportFolder = root,
                    MetadataPath = root,
                    ImageExtension = ".tif",
                }
            )
        );
    }

    [TestMethod]
    public void RowsCarryDocumentedColumnsFrontalImagesSentencesAndNamedLabelSlots()
    {
        var view = new MLContext().Data.LoadMimicCxr(Options);
        var schema = view.Schema;
        foreach (
            var column in new[]
            {
                "SubjectId",
                "StudyId",
                "Split",
                "ImagePath",
                "DicomId",
                "ViewPosition",
                "ImagePaths",
                "DicomIds",
                "ViewPositions",
                "Findings",
                "Impression",
                "Sentences",
                "Labels",
            }
        )
            Assert.IsNotNull(schema.GetColumnOrNull(column), column);
        Assert.AreEqual(NumberDataViewType.Int64, schema["StudyId"].Type);
        Assert.AreEqual(14, ((VectorDataViewType)schema["Labels"].Type).Size);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        schema["Labels"].GetSlotNames(ref slots);
        CollectionAssert.AreEqual(ChexpertLabels.Names.ToArray(), slots.DenseValues().Select(s => s.ToString()).ToArray());

        foreach (var row in Rows(view))
        {
            Assert.IsTrue(File.Exists(row.ImagePath), row.ImagePath);
            Assert.IsTrue(row.ViewPositions.All(v => v is "PA" or "AP"));
            Assert.AreEqual(row.ImagePaths.Length, row.DicomIds.Length);
            if (row.ViewPositions.Contains("PA"))
                Assert.AreEqual("PA", row.ViewPosition, "PA is preferred for ImagePath");
            Assert.IsGreaterThanOrEqualTo(4, row.Sentences.Length);
            Assert.IsTrue(row.Findings.Length > 0 || row.Impression.Length > 0);
            Assert.IsTrue(row.Split is "train" or "validate" or "test");
            Assert.IsTrue(row.Labels.All(v => float.IsNaN(v) || v is 1f or 0f or -1f));
        }
    }

    [TestMethod]
    public void TheIndexHoldsTheSameStudiesAndLoadsToTheSameRows()
    {
        var index = Path.Combine(SyntheticFixture.NewTempFolder(), "mimic.jsonl.gz");
        var written = MimicCxrIndex.Write(Options, index);
        var fromFolders = Rows(new MLContext().Data.LoadMimicCxr(Options, out var folderSummary));
        var fromIndex = Rows(new MLContext().Data.LoadMimicCxr(index));
        Assert.AreEqual(folderSummary.Accepted, written.Accepted);
        Assert.HasCount(fromFolders.Count, fromIndex);
        for (int i = 0; i < fromFolders.Count; i++)
        {
            Assert.AreEqual(fromFolders[i].StudyId, fromIndex[i].StudyId);
            CollectionAssert.AreEqual(fromFolders[i].ImagePaths, fromIndex[i].ImagePaths);
            CollectionAssert.AreEqual(fromFolders[i].Sentences, fromIndex[i].Sentences);
            Assert.AreEqual(fromFolders[i].Findings, fromIndex[i].Findings);
            CollectionAssert.AreEqual(fromFolders[i].Labels, fromIndex[i].Labels);
        }
        Assert.IsFalse(Directory.EnumerateFiles(Path.GetDirectoryName(index)!, "*.tmp").Any(), "a temp file was left behind");
    }

    [TestMethod]
    public void ThreePartsLoadEveryStudyOnceAndTheirSkipsAddUpToTheWholes()
    {
        var index = Path.Combine(SyntheticFixture.NewTempFolder(), "mimic.jsonl");
        MimicCxrIndex.Write(Options, index);
        foreach (var whole in new[] { Options, MimicCxrLoaderOptions.FromRoot(index) })
        {
            var all = Rows(new MLContext().Data.LoadMimicCxr(whole, out var wholeSummary));
            var seen = new List<long>();
            var skipped = new Dictionary<SkipReason, int>();
            int accepted = 0;
            for (int k = 0; k < 3; k++)
            {
                var part = Rows(new MLContext().Data.LoadMimicCxr(whole with { Shard = new DataShard(k, 3) }, out var summary));
                Assert.IsNotEmpty(part, $"part {k}");
                Assert.IsTrue(part.All(r => DataShard.Of(r.StudyId.ToString(System.Globalization.CultureInfo.InvariantCulture), 3) == k));
                Assert.AreEqual(part.Count, summary.Accepted);
                seen.AddRange(part.Select(r => r.StudyId));
                accepted += summary.Accepted;
                foreach (var (reason, count) in summary.Skipped)
                    skipped[reason] = skipped.GetValueOrDefault(reason) + count;
            }
            // Each study in exactly one part, in the whole's order within it; every skip counted once over the parts.
            CollectionAssert.AreEquivalent(all.Select(r => r.StudyId).ToList(), seen);
            Assert.AreEqual(wholeSummary.Accepted, accepted);
            CollectionAssert.AreEquivalent(wholeSummary.Skipped.ToList(), skipped.ToList(), whole.IndexPath ?? "folders");
        }
    }

    [TestMethod]
    public void ReportTextIsReadByTheCursorNotHeldInMemory()
    {
        // Copy the reports, load, then change one report on disk: the next cursor must see the new text.
        var reports = SyntheticFixture.NewTempFolder();
        foreach (var file in Directory.EnumerateFiles(SyntheticFixture.MimicReports, "*.txt", SearchOption.AllDirectories))
        {
            var target = Path.Combine(reports, Path.GetRelativePath(SyntheticFixture.MimicReports, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var options = new MimicCxrLoaderOptions
        {
            ImageFolder = Options.ImageFolder,
            ReportFolder = reports,
            MetadataPath = Options.MetadataPath,
            SplitPath = Options.SplitPath,
            LabelsPath = Options.LabelsPath,
        };
        var view = new MLContext().Data.LoadMimicCxr(options);
        var first = Rows(view)[0];
        var path = Path.Combine(reports, MimicCxrPaths.Report(first.SubjectId, first.StudyId));
        File.WriteAllText(path, " FINDINGS: \n \n One. Two. Three.\n \n IMPRESSION: \n \n Rewritten after loading.\n");
        var again = Rows(view)[0];
        Assert.AreEqual("Rewritten after loading.", again.Impression);
        CollectionAssert.AreEqual(new[] { "Rewritten after loading.", "One.", "Two.", "Three." }, again.Sentences);
    }

    [TestMethod]
    public void SplitFilterAndLabelPoliciesApply()
    {
        var all = Rows(new MLContext().Data.LoadMimicCxr(Options));
        var test = Rows(
            new MLContext().Data.LoadMimicCxr(
                new MimicCxrLoaderOptions
                {
                    ImageFolder = Options.ImageFolder,
                    ReportFolder = Options.ReportFolder,
                    MetadataPath = Options.MetadataPath,
                    SplitPath = Options.SplitPath,
                    LabelsPath = Options.LabelsPath,
                    Splits = ["train"],
                    UncertainLabels = UncertaintyPolicy.Ones,
                    BlankLabel = 0f,
                },
                out var summary
            )
        );
        Assert.AreEqual(all.Count(r => r.Split == "train"), test.Count);
        Assert.AreEqual(all.Count(r => r.Split != "train"), summary.Count(SkipReason.SplitFiltered));
        var byStudy = all.ToDictionary(r => r.StudyId);
        foreach (var row in test)
        {
            var raw = byStudy[row.StudyId].Labels;
            for (int k = 0; k < 14; k++)
                Assert.AreEqual(
                    float.IsNaN(raw[k]) ? 0f
                        : raw[k] == -1f ? 1f
                        : raw[k],
                    row.Labels[k]
                );
        }
    }

    [TestMethod]
    public void MissingTablesAndFoldersAndForeignIndexesGiveClearErrors()
    {
        var ml = new MLContext();
        var folder = SyntheticFixture.NewTempFolder();
        var ex = Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Data.LoadMimicCxr(folder));
        StringAssert.Contains(ex.Message, "mimic-cxr-jpg");
        var noMeta = new MimicCxrLoaderOptions
        {
            ImageFolder = Options.ImageFolder,
            ReportFolder = Options.ReportFolder,
            MetadataPath = Path.Combine(folder, "nope.csv.gz"),
        };
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadMimicCxr(noMeta));
        StringAssert.Contains(missing.Message, "nope.csv.gz");
        var foreign = Path.Combine(folder, "foreign.jsonl");
        File.WriteAllText(foreign, "{\"format\":\"something-else\",\"version\":1}\n");
        var bad = Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadMimicCxr(foreign));
        StringAssert.Contains(bad.Message, "foreign.jsonl");
        File.WriteAllText(foreign, "{\"format\":\"prior-mimic-cxr-index\",\"version\":99}\n");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.LoadMimicCxr(foreign)).Message, "version 99");
    }

    [TestMethod]
    public void AMalformedIndexLineIsSkippedAndNamed()
    {
        var index = Path.Combine(SyntheticFixture.NewTempFolder(), "index.jsonl");
        MimicCxrIndex.Write(Options, index);
        var lines = File.ReadAllLines(index).ToList();
        lines.Insert(2, "{\"subjectId\": \"not a number\"");
        File.WriteAllLines(index, lines);
        var view = new MLContext().Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index }, out var summary);
        Assert.AreEqual(1, summary.Count(SkipReason.MalformedRow));
        Assert.AreEqual(3L, summary.Items.Single().Row);
        Assert.AreEqual(lines.Count - 2, Rows(view).Count);
    }
}
