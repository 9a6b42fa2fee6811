using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;

namespace Prior.MLNet.Tests.Data;

/// <summary>
/// The loaders on hand-written folders in PhysioNet's download layout (uncompressed tables, reports under
/// mimic-cxr/2.0.0/files, tiny images made by ImageMagick): data that neither the generator nor any test wrote.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class RealLayoutTests
{
    private static string Root => Path.Combine(RepositoryPaths.TestData, "real-layout");

    [TestMethod]
    public void MimicLoaderReadsPhysioNetsLayoutWithUncompressedTables()
    {
        var view = new MLContext().Data.LoadMimicCxr(Root);
        var rows = new MLContext().Data.CreateEnumerable<MimicCxrStudy>(view, false).ToList();
        Assert.HasCount(2, rows);

        var pa = rows.Single(r => r.StudyId == 50414267);
        Assert.AreEqual(10000032L, pa.SubjectId);
        Assert.AreEqual("PA", pa.ViewPosition);
        Assert.HasCount(1, pa.ImagePaths);
        Assert.IsTrue(File.Exists(pa.ImagePath));
        CollectionAssert.AreEqual(
            new[]
            {
                "No acute cardiopulmonary process.",
                "The lungs are clear without focal consolidation.",
                "No pleural effusion or pneumothorax is seen.",
                "The cardiac and mediastinal silhouettes are within normal limits.",
                "Surgical clips project over the right upper quadrant, e.g. from a prior cholecystectomy.",
                "Degenerative changes are noted in the thoracic spine.",
            },
            pa.Sentences
        );
        Assert.AreEqual(1f, pa.Labels[ChexpertLabels.IndexOf("No Finding")]);
        Assert.IsTrue(float.IsNaN(pa.Labels[ChexpertLabels.IndexOf("Cardiomegaly")]));

        var ap = rows.Single(r => r.StudyId == 53189527);
        Assert.AreEqual(string.Empty, ap.Findings);
        CollectionAssert.AreEqual(
            new[]
            {
                "Endotracheal tube terminates 4.5 cm above the carina.",
                "Enteric tube courses below the diaphragm, the tip is not well seen.",
                "Left basilar opacity may reflect atelectasis, though pneumonia is not excluded.",
                "Possible small left pleural effusion.",
                "Dr. ___ was paged at 10:40 a.m. on ___ with these findings.",
            },
            ap.Sentences
        );
        Assert.AreEqual(-1f, ap.Labels[ChexpertLabels.IndexOf("Pleural Effusion")]);
    }

    [TestMethod]
    public void MimicIndexFromPhysioNetsLayoutCountsTheLateralAsFiltered()
    {
        var index = Path.Combine(SyntheticFixture.NewTempFolder(), "index.jsonl");
        var summary = MimicCxrIndex.Write(MimicCxrLoaderOptions.FromRoot(Root), index);
        Assert.AreEqual(2, summary.Accepted);
        Assert.AreEqual(1, summary.Count(SkipReason.ViewFiltered));
        Assert.HasCount(3, File.ReadAllLines(index));
    }

    [TestMethod]
    public void CheXpertLoaderReadsAHandWrittenTrainCsv()
    {
        var root = Path.Combine(Root, "chexpert", "CheXpert-v1.0-small");
        var rows = new MLContext()
            .Data.CreateEnumerable<CheXpertImage>(
                new MLContext().Data.LoadCheXpert(
                    new CheXpertLoaderOptions
                    {
                        Root = root,
                        Views = CheXpertViews.All,
                        UncertainLabels = UncertaintyPolicy.Zeros,
                        BlankLabel = 0,
                    }
                ),
                false
            )
            .ToList();
        Assert.HasCount(3, rows);
        Assert.AreEqual("patient00002", rows[2].Patient);
        Assert.AreEqual("study2", rows[2].Study);
        Assert.AreEqual(87f, rows[2].Age);
        Assert.AreEqual("PA", rows[2].Projection);
        Assert.AreEqual(0f, rows[2].Labels[ChexpertLabels.IndexOf("Cardiomegaly")]);
        Assert.AreEqual(1f, rows[2].Labels[ChexpertLabels.IndexOf("Lung Opacity")]);
        Assert.AreEqual(1f, rows[2].Labels[ChexpertLabels.IndexOf("Fracture")]);
        Assert.IsTrue(rows.All(r => File.Exists(r.ImagePath)));
    }
}
