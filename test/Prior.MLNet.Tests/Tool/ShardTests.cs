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
}
