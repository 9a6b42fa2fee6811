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
