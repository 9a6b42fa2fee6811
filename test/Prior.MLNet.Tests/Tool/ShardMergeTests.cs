using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Tool.Commands;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// Batch work split across machines: embed and classify in shards, and <c>prior merge</c>, which must give back the
/// unsharded output (its rows and order exactly; the network's figures within the stated tolerance, since libtorch's
/// kernels are not batch-invariant) and refuse a missing, doubled or foreign shard.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ShardMergeTests
{
    /// <summary>
    /// What docs/scaling.md states: a shard's batches differ in size from the unsharded run's, and libtorch's CPU
    /// kernels give a row computed in another batch size results that differ in the last bits (1.3e-7 seen).
    /// </summary>
    internal const double MergeTolerance = 1e-6;

    // Same header, the same rows in the same order, and every number within MergeTolerance.
    private static void AssertSameTable(string expected, string actual, string what)
    {
        var a = File.ReadAllLines(expected);
        var b = File.ReadAllLines(actual);
        Assert.HasCount(a.Length, b, what);
        Assert.AreEqual(a[0], b[0], $"{what}: header");
        for (int r = 1; r < a.Length; r++)
        {
            var (x, y) = (a[r].Split('\t'), b[r].Split('\t'));
            Assert.AreEqual(x[0], y[0], $"{what}: row {r}");
            Assert.HasCount(x.Length, y, $"{what}: row {r}");
            for (int c = 1; c < x.Length; c++)
            {
                if (double.TryParse(x[c], System.Globalization.CultureInfo.InvariantCulture, out var u))
                    Assert.AreEqual(
                        u,
                        double.Parse(y[c], System.Globalization.CultureInfo.InvariantCulture),
                        MergeTolerance,
                        $"{what}: row {r}, column {c}"
                    );
                else
                    Assert.AreEqual(x[c], y[c], $"{what}: row {r}, column {c}");
            }
        }
    }

    [TestMethod]
    [DataRow(60, 4)]
    [DataRow(40, 3)]
    public void ShardsMergedEqualTheUnshardedOutputWithinTheStatedTolerance(int count, int shardCount)
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(model);
        var images = Directory.EnumerateFiles(SyntheticFixture.MimicJpg, "*.jpg", SearchOption.AllDirectories).Order().Take(count).ToList();
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
            for (int k = 0; k < shardCount; k++)
            {
                var part = Path.Combine(dir, $"{command}.{k}.tsv");
                var sharded = RunPrior([
                    command,
                    "--model",
                    model,
                    "--images",
                    list,
                    "--out",
                    part,
                    "--shard",
                    $"{k}/{shardCount}",
                    .. extra,
                ]);
                Assert.AreEqual(0, sharded.Code, sharded.Err);
                StringAssert.Contains(sharded.Out, $"(shard {k} of {shardCount}: ");
                var rows = File.ReadAllLines(part).Skip(1).Select(l => l.Split('\t')[0]).ToList();
                Assert.IsNotEmpty(rows, $"shard {k} of {count} images from many studies holds some");
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
            StringAssert.Contains(merge.Out, $"{images.Count} rows of {shardCount} {command} shards");
            AssertSameTable(whole, merged, $"{command}, {shardCount} shards");
        }
        if (shardCount != 4)
            return;

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

    [TestMethod]
    public void AnIndexAndACacheBuiltInFourShardsMergeIntoTheFilesOneRunWrites()
    {
        // The index of the shared synthetic install, whose defects give every kind of skip; compressed, as users write it.
        var dir = SyntheticFixture.NewTempFolder();
        var whole = Path.Combine(dir, "index.jsonl.gz");
        var run = RunPrior(["mimic-index", "--data", SyntheticFixture.Root, "--out", whole]);
        Assert.AreEqual(0, run.Code, run.Err);
        var parts = new List<string>();
        int studies = 0;
        for (int k = 0; k < 4; k++)
        {
            var part = Path.Combine(dir, $"index.{k}.jsonl.gz");
            var sharded = RunPrior(["mimic-index", "--data", SyntheticFixture.Root, "--out", part, "--shard", $"{k}/4"]);
            Assert.AreEqual(0, sharded.Code, sharded.Err);
            StringAssert.Contains(sharded.Out, $"(shard {k} of 4: ");
            var header = ReadIndexHeader(part);
            Assert.IsGreaterThan(0, header.Studies, $"shard {k} of 200 studies holds some");
            studies += header.Studies;
            // The metadata table's unreadable rows name no study: shard 0 alone counts them.
            Assert.AreEqual(k == 0, header.Skipped.ContainsKey(nameof(MLNet.Data.SkipReason.MalformedRow)), $"shard {k}");
            parts.Add(part);
        }
        Assert.AreEqual(ReadIndexHeader(whole).Studies, studies);
        Assert.IsNotEmpty(ReadIndexHeader(whole).Skipped);
        var merged = Path.Combine(dir, "index.merged.jsonl.gz");
        var merge = RunPrior(["merge", "--out", merged, .. Enumerable.Reverse(parts)]);
        Assert.AreEqual(0, merge.Code, merge.Err);
        CollectionAssert.AreEqual(File.ReadAllBytes(whole), File.ReadAllBytes(merged), "mimic-index: merged shards differ from one run");

        // The cache of a small install of its own (a cache is written into the dataset root), shards under their default names.
        var data = Path.Combine(dir, "data");
        Assert.AreEqual(
            0,
            RunPrior("synth", "--out", data, "--studies", "40", "--chexpert-images", "0", "--image-size", "80", "--seed", "4").Code
        );
        var cached = RunPrior("cache", "--data", data, "--size", "32");
        Assert.AreEqual(0, cached.Code, cached.Err);
        var cacheParts = new List<string>();
        for (int k = 0; k < 4; k++)
        {
            var sharded = RunPrior("cache", "--data", data, "--size", "32", "--shard", $"{k}/4");
            Assert.AreEqual(0, sharded.Code, sharded.Err);
            StringAssert.Contains(sharded.Out, $"(shard {k} of 4: ");
            cacheParts.Add(Path.Combine(data, $"prior-image-cache-32.{k}-of-4.bin"));
            Assert.IsTrue(File.Exists(cacheParts[^1]), sharded.Out);
        }
        var wholeCache = Path.Combine(data, "prior-image-cache-32.bin");
        var mergedCache = Path.Combine(data, "merged.bin");
        merge = RunPrior(["merge", "--out", mergedCache, .. cacheParts]);
        Assert.AreEqual(0, merge.Code, merge.Err);
        StringAssert.Contains(merge.Out, "of 4 cache shards merged");
        CollectionAssert.AreEqual(
            File.ReadAllBytes(wholeCache),
            File.ReadAllBytes(mergedCache),
            "cache: merged shards differ from one run"
        );

        // Merged in a folder above the root, the table is rebased: every image reads back as from the one-run cache.
        var rebased = Path.Combine(dir, "merged.bin");
        Assert.AreEqual(0, RunPrior(["merge", "--out", rebased, .. cacheParts]).Code);
        using (var one = new MLNet.Data.Images.ImageCache(wholeCache))
        using (var other = new MLNet.Data.Images.ImageCache(rebased))
        {
            int read = 0;
            foreach (var image in Directory.EnumerateFiles(data, "*.jpg", SearchOption.AllDirectories))
            {
                byte[] a = new byte[32 * 32],
                    b = new byte[32 * 32];
                bool inOne = one.TryRead(image, a);
                Assert.AreEqual(inOne, other.TryRead(image, b), image);
                CollectionAssert.AreEqual(a, b, image);
                read += inOne ? 1 : 0;
            }
            Assert.AreEqual(one.Count, read, "every cached image read back");
        }

        // Shards of an index and of a cache are not one run; nor is a cache merged outside its images' root.
        var mixed = RunPrior(["merge", "--out", Path.Combine(dir, "x"), parts[0], cacheParts[1]]);
        Assert.AreEqual(2, mixed.Code);
        StringAssert.Contains(mixed.Err, "it is a cache shard");
        var outside = Path.Combine(data, "caches", "outside.bin");
        var refused = RunPrior(["merge", "--out", outside, .. cacheParts]);
        Assert.AreEqual(2, refused.Code);
        StringAssert.Contains(refused.Err, "so the merged cache cannot hold it");
        Assert.IsFalse(File.Exists(outside));
    }

    private static MLNet.Data.Mimic.MimicCxrIndex.Header ReadIndexHeader(string path)
    {
        using var reader = MLNet.IO.CompressedText.OpenRead(path);
        return MLNet.Data.Mimic.MimicCxrIndex.ReadHeader(path, reader);
    }
}
