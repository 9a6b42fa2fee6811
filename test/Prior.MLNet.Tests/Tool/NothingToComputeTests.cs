using System.IO.Compression;
using Prior.MLNet.Tests.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// Every command that reads data, fed data that leaves nothing to compute (an empty list, only unreadable images, tables
/// with a header and no row, a subset with no single-class image): one line naming why, exit 2, no output file, and
/// never a library's own message ("Sequence contains no elements", "(Parameter 'x')", an internal error).
/// linear-probe and finetune-classify are swept in <see cref="CheXpertProtocolCommandTests"/>.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class NothingToComputeTests
{
    private static string _dir = null!;
    private static string _model = null!;

    [ClassInitialize]
    public static void Prepare(TestContext _)
    {
        _dir = SyntheticFixture.NewTempFolder();
        _model = Path.Combine(_dir, "model.zip");
        TestNetwork.Instance.Save(_model);
    }

    private static string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static void Gzip(string path, string text)
    {
        using var stream = new GZipStream(System.IO.File.Create(path), CompressionLevel.Fastest);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    // One line on standard error naming the command and the fragment, exit 2, no library message, nothing written.
    private static void AssertRefused((int Code, string Out, string Err) run, string command, string fragment, string? output = null)
    {
        Assert.AreEqual(2, run.Code, run.Out + run.Err);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var said = lines.Where(l => l.StartsWith($"prior {command}:", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, said, run.Err);
        Assert.AreEqual(said[0], lines[^1], "the reason is the last line");
        StringAssert.Contains(said[0], fragment);
        foreach (var library in new[] { "Sequence contains", "(Parameter '", "internal error", "Exception", "   at " })
            Assert.DoesNotContain(library, run.Out + run.Err, command);
        if (output is not null)
            Assert.IsFalse(System.IO.File.Exists(output) || Directory.Exists(output), $"{command} left {output} behind");
    }

    [TestMethod]
    public void ImageCommandsRefuseAnEmptyListAndAListOfNothingReadable()
    {
        var empty = File("empty.txt", "\n  \n");
        var unreadable = File("unreadable.txt", Path.Combine(_dir, "gone.png") + "\n" + File("not-an-image.jpg", "text") + "\n");
        foreach (var command in new[] { "embed", "classify", "attention", "apply" })
        {
            var output = Path.Combine(_dir, command + ".out");
            AssertRefused(
                RunPrior(command, "--model", _model, "--images", empty, "--out", output),
                command,
                "the input list is empty",
                output
            );
            AssertRefused(
                RunPrior(command, "--model", _model, "--images", unreadable, "--out", output, "--skip-unreadable"),
                command,
                "no image of the 2 inputs could be used, so nothing is written",
                output
            );
        }
        AssertRefused(RunPrior("embed", "--model", _model, "--reports", empty, "--out", "x.tsv"), "embed", "the input list is empty");
        AssertRefused(
            RunPrior("label-reports", "--reports", empty, "--out", Path.Combine(_dir, "labels.csv")),
            "label-reports",
            "the input list is empty",
            Path.Combine(_dir, "labels.csv")
        );
    }

    [TestMethod]
    public void MimicCommandsRefuseAnInstallWithNoUsableStudy()
    {
        var root = Path.Combine(_dir, "mimic");
        var jpg = Path.Combine(root, "mimic-cxr-jpg", "2.0.0");
        Directory.CreateDirectory(Path.Combine(jpg, "files"));
        Directory.CreateDirectory(Path.Combine(root, "mimic-cxr-reports", "files"));
        Gzip(Path.Combine(jpg, "mimic-cxr-2.0.0-metadata.csv.gz"), "dicom_id,subject_id,study_id,ViewPosition\n");
        Gzip(Path.Combine(jpg, "mimic-cxr-2.0.0-split.csv.gz"), "dicom_id,study_id,subject_id,split\n");
        Gzip(
            Path.Combine(jpg, "mimic-cxr-2.0.0-chexpert.csv.gz"),
            "subject_id,study_id," + string.Join(',', Prior.MLNet.Data.ChexpertLabels.Names) + "\n"
        );
        var index = Path.Combine(_dir, "index.jsonl");
        AssertRefused(
            RunPrior("mimic-index", "--data", root, "--out", index),
            "mimic-index",
            "no study is usable, so no index is written",
            index
        );
        AssertRefused(RunPrior("cache", "--data", root), "cache", "no study is usable, so there is no image to cache");
        AssertRefused(RunPrior("retrieval", "--model", _model, "--data", root), "retrieval", "needs at least two studies");
        var model = Path.Combine(_dir, "pretrained.zip");
        AssertRefused(RunPrior("pretrain", "--data", root, "--out", model), "pretrain", "at least two usable studies", model);
    }

    [TestMethod]
    public void CheXpertAndDownstreamCommandsRefuseTablesWithoutRows()
    {
        var chexpert = Path.Combine(_dir, "chexpert");
        Directory.CreateDirectory(chexpert);
        var header = "Path,Sex,Age,Frontal/Lateral,AP/PA," + string.Join(',', Prior.MLNet.Data.ChexpertLabels.Names) + "\n";
        System.IO.File.WriteAllText(Path.Combine(chexpert, "train.csv"), header);
        System.IO.File.WriteAllText(Path.Combine(chexpert, "valid.csv"), header);
        var subsetOut = Path.Combine(_dir, "5x200.csv");
        AssertRefused(
            RunPrior("chexpert-5x200", "--chexpert", chexpert, "--out", subsetOut),
            "chexpert-5x200",
            "too few frontal images positive for exactly one class",
            subsetOut
        );
        AssertRefused(RunPrior("zero-shot", "--model", _model, "--chexpert", chexpert), "zero-shot", "too few frontal images");

        // A subset whose one image is positive for two of the five classes: no single answer to score.
        Directory.CreateDirectory(Path.Combine(chexpert, "train", "patient1", "study1"));
        var image = Path.Combine(chexpert, "train", "patient1", "study1", "view1_frontal.jpg");
        System.IO.File.WriteAllBytes(image, Prior.MLNet.Data.Images.GrayscaleJpeg.Encode(new byte[64 * 64], 64, 64));
        var labels = Prior.MLNet.Data.ChexpertLabels.Names.Select(n => n is "Edema" or "Atelectasis" ? "1.0" : "").ToList();
        var subset = File(
            "two-classes.csv",
            header + "CheXpert-v1.0-small/train/patient1/study1/view1_frontal.jpg,Male,60,Frontal,PA," + string.Join(',', labels) + "\n"
        );
        var json = Path.Combine(_dir, "zero-shot.json");
        AssertRefused(
            RunPrior("zero-shot", "--model", _model, "--chexpert", chexpert, "--subset", subset, "--json", json),
            "zero-shot",
            "no image of the subset is positive for exactly one of",
            json
        );

        var rsna = Path.Combine(_dir, "rsna");
        Directory.CreateDirectory(Path.Combine(rsna, "stage_2_train_images"));
        System.IO.File.WriteAllText(Path.Combine(rsna, "stage_2_train_labels.csv"), "patientId,x,y,width,height,Target\n");
        AssertRefused(RunPrior("detect", "--model", _model, "--data", rsna), "detect", "0 usable images");
        var siim = Path.Combine(_dir, "siim");
        Directory.CreateDirectory(siim);
        System.IO.File.WriteAllText(Path.Combine(siim, "train-rle.csv"), "ImageId, EncodedPixels\n");
        AssertRefused(RunPrior("segment", "--model", _model, "--data", siim), "segment", "0 usable images");
    }
}
