using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Generation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>Drafting reports: the sentence memory, PriorReportDraft in a pipeline, and both saved and loaded.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class ReportDraftTests
{
    private static readonly Lazy<PriorNetwork> Trained = new(
        () =>
        {
            var data = TrainingFixture.Instance;
            var studies = data.Studies.Take(96).ToList();
            var result = new PriorTrainer(TrainingFixture.Options([2, 1, 2])).Train(studies, data.Tokenizer);
            var network = new PriorNetwork(result.Model, data.Tokenizer, usePrototypes: true);
            network.SentenceMemory = SentenceMemory.Build(
                result.Model,
                data.Tokenizer,
                studies.Select(s =>
                    ((IReadOnlyList<string>)s.Sentences.Skip(1).ToList(), (IReadOnlyList<string>)s.Sentences.Take(1).ToList())
                )
            );
            return network;
        },
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    [TestMethod]
    public void TheMemoryHoldsEachDistinctSentenceOnceWithItsSectionAndRoundTrips()
    {
        var memory = Trained.Value.SentenceMemory!;
        var all = TrainingFixture.Instance.Studies.Take(96).SelectMany(s => s.Sentences).Select(s => s.Trim()).Distinct().ToList();
        Assert.HasCount(all.Count, memory.Sentences);
        CollectionAssert.AreEquivalent(all, memory.Sentences.Select(s => s.Text).ToList());
        Assert.IsTrue(memory.Sentences.Zip(memory.Sentences.Skip(1)).All(p => p.First.Count >= p.Second.Count), "most frequent first");
        Assert.IsTrue(
            memory.Sentences.Any(s => s.Section == ReportSection.Impression)
                && memory.Sentences.Any(s => s.Section == ReportSection.Findings)
        );

        using var stream = new MemoryStream();
        memory.Write(stream);
        stream.Position = 0;
        var read = SentenceMemory.Read(stream, "memory");
        CollectionAssert.AreEqual(memory.Sentences.ToList(), read.Sentences.ToList());
        using var a = memory.Keys(TorchSharp.torch.CPU);
        using var b = read.Keys(TorchSharp.torch.CPU);
        Assert.IsTrue(a.eq(b).all().item<bool>());
        var cut = new MemoryStream(stream.ToArray()[..(int)(stream.Length / 2)]);
        StringAssert.Contains(
            Assert.Throws<InvalidDataException>(() => SentenceMemory.Read(cut, "memory.bin")).Message,
            "memory.bin: the sentence memory is cut short"
        );
    }

    [TestMethod]
    public void DraftsAreMadeOfRememberedSentencesAndSurviveSaveAndLoad()
    {
        var network = Trained.Value;
        var ml = new MLContext(seed: 1);
        var rows = TrainingFixture.Instance.Studies.Skip(600).Take(12).Select(s => new ImageRow { ImagePath = s.ImagePaths[0] }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.PriorReportDraft(network).Fit(data);
        var drafts = model.Transform(data).GetColumn<string>("Draft").ToList();
        var remembered = network.SentenceMemory!.Sentences.Select(s => s.Text).ToHashSet();
        foreach (var draft in drafts)
        {
            Assert.IsTrue(
                draft.StartsWith("FINDINGS: ", StringComparison.Ordinal) || draft.StartsWith("IMPRESSION: ", StringComparison.Ordinal),
                draft
            );
            var body = draft
                .Replace("FINDINGS: ", "", StringComparison.Ordinal)
                .Replace("IMPRESSION: ", "", StringComparison.Ordinal)
                .Replace("\n\n", " ", StringComparison.Ordinal);
            var left = remembered
                .Where(r => body.Contains(r, StringComparison.Ordinal))
                .Aggregate(body, (text, r) => text.Replace(r, "", StringComparison.Ordinal));
            Assert.AreEqual(string.Empty, left.Trim(), $"text not from the memory in: {draft}");
        }
        Console.WriteLine(drafts[0]);

        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "draft.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(seed: 2).Model.Load(path, out _);
        CollectionAssert.AreEqual(drafts, loaded.Transform(data).GetColumn<string>("Draft").ToList());
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void ANetworkWithoutMemoryIsRefusedClearly()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.PriorReportDraft(TestNetwork.Instance));
        StringAssert.Contains(error.Message, "no sentence memory");
    }
}
