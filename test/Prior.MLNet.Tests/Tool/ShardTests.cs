using Prior.MLNet.Data;
using Prior.MLNet.Tool.Commands;

namespace Prior.MLNet.Tests.Tool;

/// <summary>How <c>--shard K/N</c> splits a list: by study folder, stably, with the index given or read from the scheduler.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ShardTests
{
    [TestMethod]
    public void TheSplitIsFnv1aOfTheStudyFolderAndTheIndexMayComeFromTheScheduler()
    {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test vector): 0x...8c = 140, so shard 0 of 4 and 2 of 3.
        Assert.AreEqual((int)(0xaf63dc4c8601ec8cUL % 4), Shard.Of("a", 4));
        Assert.AreEqual(0, Shard.Of("a", 4));
        Assert.AreEqual((int)(0xaf63dc4c8601ec8cUL % 3), Shard.Of("a", 3));
        Assert.AreEqual("files/p10/p10000032/s50414267", Shard.StudyKey("files/p10/p10000032/s50414267/02aa804e.jpg"));
        Assert.AreEqual("files/p10/p10000032/s50414267", Shard.StudyKey(@"files\p10\p10000032\s50414267\174413ec.jpg"));
        Assert.AreEqual("No pneumothorax.", Shard.StudyKey("No pneumothorax."));

        Assert.AreEqual(new Shard(2, 4), Shard.Parse("2/4"));
        Assert.IsNull(Shard.Parse(null));
        Dictionary<string, string?> env = new() { ["SLURM_ARRAY_TASK_ID"] = "3" };
        Assert.AreEqual(new Shard(3, 4), Shard.Parse("auto/4", v => env.GetValueOrDefault(v)));
        env["JOB_COMPLETION_INDEX"] = "1"; // Kubernetes' is read first
        Assert.AreEqual(new Shard(1, 4), Shard.Parse("AUTO/4", v => env.GetValueOrDefault(v)));
        foreach (
            var (text, message) in new[]
            {
                ("4/4", "from 0 to 3"),
                ("-1/4", "from 0 to 3"),
                ("1", "K/N"),
                ("1/0", "K/N"),
                ("x/2", "whole number"),
            }
        )
            StringAssert.Contains(Assert.Throws<ArgumentException>(() => Shard.Parse(text, _ => null)).Message, message, text);
        StringAssert.Contains(
            Assert.Throws<ArgumentException>(() => Shard.Parse("auto/4", _ => null)).Message,
            "neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set"
        );
        StringAssert.Contains(
            Assert.Throws<ArgumentException>(() => Shard.Parse("auto/4", _ => "7")).Message,
            "JOB_COMPLETION_INDEX: the shard index must be a whole number from 0 to 3"
        );
    }

    [TestMethod]
    public void EveryStudyBelongsToExactlyOnePartAndUnreadableRowsToPartZero()
    {
        var parts = Enumerable.Range(0, 5).Select(k => new DataShard(k, 5)).ToList();
        var sizes = new int[5];
        for (long study = 50_000_000; study < 50_002_000; study++)
        {
            var holders = parts.Where(p => p.HoldsStudy(study)).ToList();
            Assert.HasCount(1, holders, $"study {study}");
            Assert.AreEqual(DataShard.Of(study.ToString(System.Globalization.CultureInfo.InvariantCulture), 5), holders[0].Index);
            sizes[holders[0].Index]++;
        }
        // 2000 studies hashed into 5 parts: each near 400 (a binomial's sd is 18; 100 off would be a broken hash).
        foreach (var size in sizes)
            Assert.IsTrue(size is > 300 and < 500, string.Join(", ", sizes));
        Assert.AreEqual(1, parts.Count(p => p.HoldsUnattributed));
        Assert.IsTrue(parts[0].HoldsUnattributed);
        Assert.AreEqual(Shard.Of("files/p10/s1", 7), DataShard.Of("files/p10/s1", 7), "the tool splits as the library does");
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataShard(0, 0));
    }
}
