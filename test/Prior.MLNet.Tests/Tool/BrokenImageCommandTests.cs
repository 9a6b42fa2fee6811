using Microsoft.ML;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Tests.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary>zero-shot, linear-probe and retrieval over data with a broken image: one named line, or a skip when asked.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class BrokenImageCommandTests
{
    private static void Break(string image) => File.WriteAllBytes(image, File.ReadAllBytes(image)[..200]);

    [TestMethod]
    public void EvaluationCommandsNameABrokenImageOrSkipIt()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var data = Path.Combine(dir, "data");
        Assert.AreEqual(
            0,
            RunPrior(
                "synth",
                "--out",
                data,
                "--studies",
                "60",
                "--chexpert-images",
                "400",
                "--image-size",
                "48",
                "--seed",
                "5",
                "--defect-rate",
                "0"
            ).Code
        );
        var chexpert = Path.Combine(data, "CheXpert-v1.0-small");
        var subset = Path.Combine(dir, "5x5.csv");
        Assert.AreEqual(0, RunPrior("chexpert-5x200", "--chexpert", chexpert, "--out", subset, "--per-class", "5").Code);
        var model = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(model);

        // zero-shot: the first image of the subset, truncated.
        var first = Path.Combine(chexpert, string.Join('/', File.ReadAllLines(subset)[1].Split(',')[0].Split('/')[1..]));
        Break(first);
        var failed = RunPrior("zero-shot", "--model", model, "--chexpert", chexpert, "--subset", subset);
        Assert.AreEqual(2, failed.Code, failed.Out);
        Assert.AreEqual(
            $"prior zero-shot: Row 1: {first}: truncated: the JPEG data ends without its end marker (an interrupted copy or download?). "
                + "(to skip unreadable images instead, use UnreadableImageHandling.Skip or --skip-unreadable)",
            failed.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()
        );
        var skipped = RunPrior("zero-shot", "--model", model, "--chexpert", chexpert, "--subset", subset, "--skip-unreadable");
        Assert.AreEqual(0, skipped.Code, skipped.Err);
        StringAssert.Contains(skipped.Out, $"skipped 1 of 25 inputs:\n  {first}: truncated");

        // linear-probe: the same image, listed in train.csv; and an image of valid.csv.
        var valid = Path.Combine(
            chexpert,
            string.Join('/', File.ReadAllLines(Path.Combine(chexpert, "valid.csv"))[1].Split(',')[0].Split('/')[1..])
        );
        Break(valid);
        var probe = RunPrior("linear-probe", "--model", model, "--chexpert", chexpert, "--fractions", "1");
        Assert.AreEqual(2, probe.Code, probe.Out);
        StringAssert.StartsWith(probe.Err, "prior linear-probe: Row ");
        StringAssert.Contains(probe.Err, $"{first}: truncated");
        var probeSkipped = RunPrior("linear-probe", "--model", model, "--chexpert", chexpert, "--fractions", "1", "--skip-unreadable");
        Assert.AreEqual(0, probeSkipped.Code, probeSkipped.Err);
        StringAssert.Contains(probeSkipped.Out, $"{first}: truncated");
        StringAssert.Contains(probeSkipped.Out, $"{valid}: truncated");

        // retrieval: the image of a held-out study.
        var ml = new MLContext(seed: 1);
        var heldOut = ml
            .Data.CreateEnumerable<MimicCxrStudy>(
                ml.Data.LoadMimicCxr(
                    new MimicCxrLoaderOptions
                    {
                        ImageFolder = MimicCxrLoaderOptions.FromRoot(data).ImageFolder,
                        ReportFolder = MimicCxrLoaderOptions.FromRoot(data).ReportFolder,
                        MetadataPath = MimicCxrLoaderOptions.FromRoot(data).MetadataPath,
                        SplitPath = MimicCxrLoaderOptions.FromRoot(data).SplitPath,
                        LabelsPath = MimicCxrLoaderOptions.FromRoot(data).LabelsPath,
                        Splits = ["validate", "test"],
                    }
                ),
                false
            )
            .First();
        Break(heldOut.ImagePaths[0]);
        var retrieval = RunPrior("retrieval", "--model", model, "--data", data);
        Assert.AreEqual(2, retrieval.Code, retrieval.Out);
        StringAssert.Contains(retrieval.Err, heldOut.ImagePaths[0]);
        var retrievalSkipped = RunPrior("retrieval", "--model", model, "--data", data, "--skip-unreadable");
        Assert.AreEqual(0, retrievalSkipped.Code, retrievalSkipped.Err);
        StringAssert.Contains(retrievalSkipped.Out, heldOut.ImagePaths[0]);
    }
}
