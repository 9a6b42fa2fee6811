using System.Text.Json;
using Prior.MLNet.Tests.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// linear-probe and finetune-classify on CheXpert folders whose labels leave some or nothing to score: the labels not
/// scored are named with why, nothing to score is one line and exit 2, and the protocol is in the JSON.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class CheXpertProtocolCommandTests
{
    private static string _chexpert = null!;
    private static string _model = null!;

    [ClassInitialize]
    public static void Synthesize(TestContext _)
    {
        var dir = SyntheticFixture.NewTempFolder();
        var synth = RunPrior(
            "synth",
            "--out",
            dir,
            "--studies",
            "20",
            "--chexpert-images",
            "300",
            "--image-size",
            "48",
            "--seed",
            "9",
            "--defect-rate",
            "0"
        );
        Assert.AreEqual(0, synth.Code, synth.Err);
        _chexpert = Path.Combine(dir, "CheXpert-v1.0-small");
        _model = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(_model);
    }

    // A copy of the folder's CSVs (the images are shared) with the given label columns of valid.csv rewritten.
    private static string WithValidLabels(Func<string, string, string> rewrite)
    {
        var copy = SyntheticFixture.NewTempFolder();
        foreach (var entry in Directory.EnumerateFileSystemEntries(_chexpert))
        {
            var target = Path.Combine(copy, Path.GetFileName(entry));
            if (Directory.Exists(entry))
                Directory.CreateSymbolicLink(target, entry);
            else
                File.Copy(entry, target);
        }
        var lines = File.ReadAllLines(Path.Combine(copy, "valid.csv"));
        var header = lines[0].Split(',');
        var rewritten = lines
            .Skip(1)
            .Select(line => line.Split(','))
            .Select(fields => string.Join(',', fields.Select((value, i) => i >= 5 ? rewrite(header[i], value) : value)));
        File.WriteAllLines(Path.Combine(copy, "valid.csv"), [lines[0], .. rewritten]);
        return copy;
    }

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [TestMethod]
    public void ALabelWithoutAPositiveInValidIsNamedAndTheOthersAreScored()
    {
        var chexpert = WithValidLabels((label, value) => label == "Edema" ? "" : value);
        var json = Path.Combine(chexpert, "probe.json");
        var run = RunPrior("linear-probe", "--model", _model, "--chexpert", chexpert, "--fractions", "1", "--json", json);
        Assert.AreEqual(0, run.Code, run.Err);
        StringAssert.Contains(run.Out, "protocol: blank=0,U-Zeros, split official, 5 labels");
        StringAssert.Contains(run.Out, "not scored: Edema: no positive in valid.csv");
        var figures = Json(json);
        Assert.AreEqual("blank=0,U-Zeros", figures.GetProperty("labelPolicy").GetString());
        Assert.AreEqual("official", figures.GetProperty("split").GetString());
        Assert.AreEqual(JsonValueKind.Null, figures.GetProperty("meanAucCompetition").ValueKind, "one of the five is not scored");
        var auc = figures.GetProperty("auc").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        CollectionAssert.AreEquivalent(new[] { "Atelectasis", "Cardiomegaly", "Consolidation", "Pleural Effusion" }, auc.Keys.ToArray());
        Assert.AreEqual(auc.Values.Average(), figures.GetProperty("meanAuc").GetDouble(), 1e-12, "meanAuc is over the scored labels");
        Assert.AreEqual("no positive in valid.csv", figures.GetProperty("notScored").GetProperty("Edema").GetString());
    }

    [TestMethod]
    public void NothingToScoreIsOneLineAndExitTwoUnderEitherBlankPolicy()
    {
        var chexpert = WithValidLabels((_, _) => "");
        foreach (var (blank, reason) in new[] { ("negative", "no positive in valid.csv"), ("ignore", "no labelled image in valid.csv") })
        {
            var run = RunPrior("linear-probe", "--model", _model, "--chexpert", chexpert, "--fractions", "1", "--blank", blank);
            Assert.AreEqual(2, run.Code, run.Out + run.Err);
            var line = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
            StringAssert.StartsWith(line, $"prior linear-probe: no label can be scored (Atelectasis: {reason}; ");
            Assert.DoesNotContain("Sequence contains", run.Out + run.Err);
        }
        var finetune = RunPrior(
            "finetune-classify",
            "--data",
            chexpert,
            "--model",
            _model,
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--fraction",
            "1"
        );
        Assert.AreEqual(2, finetune.Code, finetune.Out + finetune.Err);
        // The library call names its views as the test images (it is given data views, not files).
        StringAssert.StartsWith(
            finetune.Err,
            "prior finetune-classify: seed 1: no label can be scored (Atelectasis: no positive in the test images"
        );
    }

    [TestMethod]
    public void ThePublishedSplitIsWrittenAndReadBackForARepeatedRun()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var splitFile = Path.Combine(dir, "split.csv");
        string[] common = ["linear-probe", "--model", _model, "--chexpert", _chexpert, "--fractions", "1", "--split", "published"];
        var first = RunPrior([.. common, "--split-file", splitFile, "--json", Path.Combine(dir, "a.json")]);
        Assert.AreEqual(0, first.Code, first.Err);
        StringAssert.Contains(first.Out, $"split: written to {splitFile}");
        var split = File.ReadAllLines(splitFile);
        Assert.AreEqual("Path,Split", split[0]);
        var frontal = File.ReadAllLines(Path.Combine(_chexpert, "train.csv"))
            .Where(l => l.Contains(",Frontal,", StringComparison.Ordinal))
            .Select(l => l.Split(',')[0]["CheXpert-v1.0-small/".Length..])
            .ToList();
        // The PRIOR authors' 5x200 images are the zero-shot test set: they go to no part of the split.
        var zeroShot = Prior.MLNet.Data.CheXpert.CheXpertAuthorsSubset.Load().Select(e => e.ImagePath).ToHashSet();
        int excluded = frontal.Count(zeroShot.Contains);
        int trainImages = frontal.Count - excluded;
        Assert.AreEqual(trainImages, split.Length - 1, $"every frontal train.csv image but the {excluded} zero-shot ones is in the split");
        Assert.IsFalse(split.Skip(1).Any(l => zeroShot.Contains(l.Split(',')[0])));
        Assert.AreEqual(trainImages / 10, split.Count(l => l.EndsWith(",validation", StringComparison.Ordinal)), "a tenth held out");

        var again = RunPrior([.. common, "--split-file", splitFile, "--json", Path.Combine(dir, "b.json")]);
        Assert.AreEqual(0, again.Code, again.Err);
        StringAssert.Contains(again.Out, $"split: read from {splitFile}");
        Assert.AreEqual("published", Json(Path.Combine(dir, "b.json")).GetProperty("split").GetString());
        Assert.AreEqual(
            Json(Path.Combine(dir, "a.json")).GetProperty("meanAuc").GetDouble(),
            Json(Path.Combine(dir, "b.json")).GetProperty("meanAuc").GetDouble(),
            "the same split gives the same figure"
        );

        var kept = RunPrior("linear-probe", "--model", _model, "--chexpert", _chexpert, "--uncertain", "keep");
        Assert.AreEqual(2, kept.Code);
        StringAssert.Contains(kept.Err, "--uncertain must be one of ignore, zeros, ones; not 'keep'");
        Assert.DoesNotContain("keep", RunPrior("linear-probe", "--help").Out.Split('\n').Single(l => l.Contains("--uncertain")));
    }
}
