using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Text;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>mlContext.Transforms.LabelChexpertObservations in a pipeline, saved and loaded.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ChexpertLabelerTransformTests
{
    private sealed class Row
    {
        public string Report { get; set; } = string.Empty;

        [VectorType]
        public string[] Sentences { get; set; } = [];
    }

    private static readonly Row[] Rows =
    [
        new()
        {
            Report =
                " FINDINGS: \n \n There is a small left pleural effusion.  No pneumothorax.\n \n IMPRESSION: \n \n Small left effusion.\n",
            Sentences = ["There is a small left pleural effusion.", "No pneumothorax."],
        },
        new()
        {
            Report = "Right lower lobe opacity may represent pneumonia. The heart size is normal.",
            Sentences = ["Right lower lobe opacity may represent pneumonia.", "The heart size is normal."],
        },
        new() { Report = "No acute cardiopulmonary process.", Sentences = ["No acute cardiopulmonary process."] },
    ];

    private static float Label(VBuffer<float> labels, string name) => labels.GetValues()[ChexpertLabels.IndexOf(name)];

    [TestMethod]
    public void LabelsTextAndSentenceColumnsAsTheLabelerDoesAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var pipeline = ml
            .Transforms.LabelChexpertObservations("FromText", "Report")
            .Append(ml.Transforms.LabelChexpertObservations("FromSentences", "Sentences"));
        var model = pipeline.Fit(data);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "labeler.zip");
        ml.Model.Save(model, data.Schema, path);

        var fresh = new MLContext(seed: 2);
        var loaded = fresh.Model.Load(path, out var schema);
        var output = loaded.Transform(fresh.Data.LoadFromEnumerable(Rows));
        var column = output.Schema["FromText"];
        Assert.AreEqual(ChexpertLabels.Names.Count, ((VectorDataViewType)column.Type).Size);
        VBuffer<ReadOnlyMemory<char>> slots = default;
        column.GetSlotNames(ref slots);
        CollectionAssert.AreEqual(ChexpertLabels.Names.ToArray(), slots.DenseValues().Select(s => s.ToString()).ToArray());

        var labeler = new ChexpertReportLabeler();
        var fromText = output.GetColumn<VBuffer<float>>("FromText").ToList();
        var fromSentences = output.GetColumn<VBuffer<float>>("FromSentences").ToList();
        for (int i = 0; i < Rows.Length; i++)
        {
            CollectionAssert.AreEqual(labeler.Label(Rows[i].Report), fromText[i].DenseValues().ToArray(), $"row {i}");
            CollectionAssert.AreEqual(labeler.LabelSentences(Rows[i].Sentences), fromSentences[i].DenseValues().ToArray(), $"row {i}");
        }
        // The values themselves, by hand.
        Assert.AreEqual(1f, Label(fromText[0], "Pleural Effusion"));
        Assert.AreEqual(0f, Label(fromText[0], "Pneumothorax"));
        Assert.AreEqual(-1f, Label(fromSentences[1], "Pneumonia"));
        Assert.AreEqual(0f, Label(fromSentences[1], "Cardiomegaly"));
        Assert.IsTrue(float.IsNaN(Label(fromSentences[1], "Fracture")));
        Assert.AreEqual(1f, Label(fromText[2], "No Finding"));
    }

    [TestMethod]
    public void TheConventionsAreChosenPerTransformAndSavedWithTheModel()
    {
        // "ETT" is a device only by the extended conventions: the two columns differ, and still differ after a reload.
        var ml = new MLContext(seed: 1);
        var rows = new[] { new { Report = "ETT terminates 4 cm above the carina." } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml
            .Transforms.LabelChexpertObservations("Chexpert", "Report")
            .Append(ml.Transforms.LabelChexpertObservations("Extended", "Report", ReportLabelConventions.Extended));
        var model = pipeline.Fit(data);
        Assert.AreEqual(ReportLabelConventions.Extended, model.LastTransformer.Conventions);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "labelers.zip");
        ml.Model.Save(model, data.Schema, path);
        var output = new MLContext(seed: 2).Model.Load(path, out _).Transform(data);
        Assert.IsTrue(float.IsNaN(Label(output.GetColumn<VBuffer<float>>("Chexpert").Single(), "Support Devices")));
        Assert.AreEqual(1f, Label(output.GetColumn<VBuffer<float>>("Extended").Single(), "Support Devices"));
    }

    [TestMethod]
    public void AWrongInputColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.LabelChexpertObservations("L", "Text").Fit(data));
        StringAssert.Contains(missing.Message, "'Text'");
        var numbers = ml.Data.LoadFromEnumerable(new[] { new { Report = 1f } });
        var wrongType = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Transforms.LabelChexpertObservations("L", "Report").Fit(numbers)
        );
        StringAssert.Contains(wrongType.Message, "Single");
    }
}
