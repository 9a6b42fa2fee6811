using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Tool.Commands;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// Batch work split across machines: embed and classify in shards, and <c>prior merge</c>, which must give back the
/// unsharded output byte for byte and refuse a missing, doubled or foreign shard.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ShardMergeTests
{
    [TestMethod]
    public void FourShardsMergedEqualTheUnshardedOutputByteForByte()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(model);
        var images = Directory.EnumerateFiles(SyntheticFixture.MimicJpg, "*.jpg", SearchOption.AllDirectories).Order().Take(60).ToList();
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, images);
        foreach (var (command, extra) in new[] { ("embed", Array.Empty<string>()), ("classify", ["--classes", "Edema,Atelectasis"]) })
        {
            var whole = Path.Combine(dir, $"{command}.tsv");
            var run = RunPrior([command, "--model", model, "--images", list, "--out", whole, .. extra]);
            Assert.AreEqual(0, run.Code, run.Err);
            Assert.IsFalse(File.Exists(Shard.SidecarPath(whole)), "an unsharded run writes no shard record");
            var parts = new List<string>();
            var studiesSeen = new Dictionary<string, int>();
            for (int k = 0; k < 4; k++)
            {
                var part = Path.Combine(dir, $"{command}.{k}.tsv");
                var sharded = RunPrior([command, "--model", model, "--images", list, "--out", part, "--shard", $"{k}/4", .. extra]);
                Assert.AreEqual(0, sharded.Code, sharded.Err);
                StringAssert.Contains(sharded.Out, $"(shard {k} of 4: ");
                var rows = File.ReadAllLines(part).Skip(1).Select(l => l.Split('\t')[0]).ToList();
                Assert.IsNotEmpty(rows, $"shard {k} of 60 images from many studies holds some");
                foreach (var row in rows)
                    Assert.AreEqual(
                        k,
                        studiesSeen.TryAdd(Shard.StudyKey(row), k) ? k : studiesSeen[Shard.StudyKey(row)],
                        "a study in two shards"
                    );
                parts.Add(part);
            }
            var merged = Path.Combine(dir, $"{command}.merged.tsv");
            parts.Reverse(); // any order
            var merge = RunPrior(["merge", "--out", merged, .. parts]);
            Assert.AreEqual(0, merge.Code, merge.Err);
            StringAssert.Contains(merge.Out, $"{images.Count} rows of 4 {command} shards");
            CollectionAssert.AreEqual(File.ReadAllBytes(whole), File.ReadAllBytes(merged), $"{command}: merged shards differ from one run");
        }

        // Refused, each in one line naming what is wrong, and nothing written.
        var embedParts = Enumerable.Range(0, 4).Select(k => Path.Combine(dir, $"embed.{k}.tsv")).ToList();
        var output = Path.Combine(dir, "refused.tsv");
        void Refused(string[] parts, string message)
        {
            var result = RunPrior(["merge", "--out", output, .. parts]);
            Assert.AreEqual(2, result.Code, result.Out + result.Err);
            StringAssert.Contains(result.Err, message);
            Assert.IsFalse(File.Exists(output));
        }
        Refused([embedParts[0], embedParts[1], embedParts[3]], "shard 2 of 4 is missing");
        Refused([embedParts[0], embedParts[1]], "shards 2, 3 of 4 are missing");
        Refused([.. embedParts, embedParts[2]], "shard 2 of 4 is given twice");
        Refused([embedParts[0], Path.Combine(dir, "classify.1.tsv")], "it is a classify shard");
        Refused([embedParts[0], list], "images.txt.shard.json beside it");
        File.WriteAllLines(embedParts[1], File.ReadAllLines(embedParts[1]).SkipLast(1));
        Refused(embedParts.ToArray(), "the output and its record are from different runs");
    }
}
