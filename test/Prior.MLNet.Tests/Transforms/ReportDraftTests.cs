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
            network.SentenceMemory = SentenceMemory.Build(network, Reports(studies));
            return network;
        },
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    // The synthetic studies as FINDINGS (all but the first sentence) and IMPRESSION (the first).
    private static List<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> Reports(IEnumerable<TrainingStudy> studies) =>
        studies
            .Select(s => ((IReadOnlyList<string>)s.Sentences.Skip(1).ToList(), (IReadOnlyList<string>)s.Sentences.Take(1).ToList()))
            .ToList();

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

        Assert.HasCount(96, memory.Reports, "every training report, whole");
        var lengths = TrainingFixture.Instance.Studies.Take(96).Select(s => s.Sentences.Count).Order().ToList();
        Assert.AreEqual(lengths[48], memory.TypicalSentenceCount, "the median report length");

        using var stream = new MemoryStream();
        memory.Write(stream);
        stream.Position = 0;
        var read = SentenceMemory.Read(stream, "memory");
        CollectionAssert.AreEqual(memory.Sentences.ToList(), read.Sentences.ToList());
        using var a = memory.Keys(TorchSharp.torch.CPU);
        using var b = read.Keys(TorchSharp.torch.CPU);
        Assert.IsTrue(a.eq(b).all().item<bool>());
        CollectionAssert.AreEqual(memory.SentenceEmbeddings.ToArray(), read.SentenceEmbeddings.ToArray());
        CollectionAssert.AreEqual(memory.ReportEmbeddings.ToArray(), read.ReportEmbeddings.ToArray());
        CollectionAssert.AreEqual(memory.Reports.Select(r => r.Text).ToList(), read.Reports.Select(r => r.Text).ToList());
        Assert.AreEqual(memory.TypicalSentenceCount, read.TypicalSentenceCount);
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
    public void RetrievalDraftsAreTheSentencesMostSimilarToTheImageWithoutRestatingAnObservation()
    {
        var network = Trained.Value;
        var memory = network.SentenceMemory!;
        var studies = TrainingFixture.Instance.Studies.Skip(600).Take(8).ToList();
        var pixels = studies.Select(s => network.LoadImage(s.ImagePaths[0])).ToList();
        var drafts = network.DraftReports(pixels, ReportDraftMethod.Retrieval);
        var images = network.EmbedImages(pixels, local: false).Global;
        // Independently: every remembered sentence embedded on its own through the public API, cosine in float64.
        var sentences = memory.Sentences.Select(s => s.Text).ToList();
        var embedded = network.EmbedReports(sentences.Select(t => (IReadOnlyList<string>)[t]).ToList());
        var labeler = new Prior.MLNet.Text.ChexpertReportLabeler();
        for (int i = 0; i < drafts.Count; i++)
        {
            var picked = drafts[i].Sentences;
            Assert.IsTrue(picked.Count >= 1 && picked.Count <= memory.TypicalSentenceCount, $"{picked.Count} sentences");
            var similarity = embedded.Select(e => e.Zip(images[i]).Sum(p => (double)p.First * p.Second)).ToList();
            var best = sentences[similarity.IndexOf(similarity.Max())];
            CollectionAssert.Contains(picked.ToList(), best, "the most similar sentence always leads");
            var observations = picked
                .SelectMany(t =>
                    labeler.LabelSentences([t]).Select((v, k) => (v, k)).Where(p => p.k > 0 && !float.IsNaN(p.v)).Select(p => p.k)
                )
                .ToList();
            Assert.HasCount(observations.Distinct().Count(), observations, $"an observation restated in: {drafts[i].Text}");
            // Nothing more similar was passed over unless it restates an observation or paraphrases a pick.
            double weakest = picked.Min(t => similarity[sentences.IndexOf(t)]);
            foreach (var (text, score) in sentences.Zip(similarity).Where(p => p.Second > weakest + 1e-5 && !picked.Contains(p.First)))
            {
                var mentions = labeler
                    .LabelSentences([text])
                    .Select((v, k) => (v, k))
                    .Where(p => p.k > 0 && !float.IsNaN(p.v))
                    .Select(p => p.k);
                var own = embedded[sentences.IndexOf(text)];
                bool paraphrase = picked.Any(t =>
                    embedded[sentences.IndexOf(t)].Zip(own).Sum(p => (double)p.First * p.Second) >= 0.95 - 1e-5
                );
                Assert.IsTrue(mentions.Any(observations.Contains) || paraphrase, $"'{text}' ({score:0.000}) passed over");
            }
        }
    }

    [TestMethod]
    public void NearestReportDraftsCopyTheTrainingReportMostSimilarToTheImage()
    {
        var network = Trained.Value;
        var studies = TrainingFixture.Instance.Studies.Skip(600).Take(8).ToList();
        var pixels = studies.Select(s => network.LoadImage(s.ImagePaths[0])).ToList();
        var drafts = network.DraftReports(pixels, ReportDraftMethod.NearestReport);
        var images = network.EmbedImages(pixels, local: false).Global;
        var training = Reports(TrainingFixture.Instance.Studies.Take(96));
        var embedded = network.EmbedReports(training.Select(r => (IReadOnlyList<string>)[.. r.Findings, .. r.Impression]).ToList());
        for (int i = 0; i < drafts.Count; i++)
        {
            var similarity = embedded.Select(e => e.Zip(images[i]).Sum(p => (double)p.First * p.Second)).ToList();
            var best = training[similarity.IndexOf(similarity.Max())];
            CollectionAssert.AreEqual(best.Findings.ToList(), drafts[i].Findings.ToList());
            CollectionAssert.AreEqual(best.Impression.ToList(), drafts[i].Impression.ToList());
        }
    }

    [TestMethod]
    public void EachMethodSurvivesSaveAndLoadInAPipeline()
    {
        var network = Trained.Value;
        var ml = new MLContext(seed: 1);
        var rows = TrainingFixture.Instance.Studies.Skip(600).Take(6).Select(s => new ImageRow { ImagePath = s.ImagePaths[0] }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var outputs = new List<List<string>>();
        foreach (var method in Enum.GetValues<ReportDraftMethod>())
        {
            var model = ml.Transforms.PriorReportDraft(network, method: method).Fit(data);
            var drafts = model.Transform(data).GetColumn<string>("Draft").ToList();
            var path = Path.Combine(SyntheticFixture.NewTempFolder(), "draft.zip");
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext(seed: 2).Model.Load(path, out _);
            CollectionAssert.AreEqual(drafts, loaded.Transform(data).GetColumn<string>("Draft").ToList(), method.ToString());
            (loaded as IDisposable)?.Dispose();
            outputs.Add(drafts);
        }
        Assert.AreNotEqual(string.Join("|", outputs[0]), string.Join("|", outputs[1]), "nearest-report and retrieval drafts differ");
    }

    [TestMethod]
    public void AMemoryWrittenBeforeRetrievalDraftsByPrototypesOnlyAndSaysSo()
    {
        var network = Trained.Value;
        var memory = network.SentenceMemory!;
        using var keys = memory.Keys(TorchSharp.torch.CPU);
        var old = new SentenceMemory(memory.Sentences, keys.data<float>().ToArray(), memory.Dimension);
        using var stream = new MemoryStream();
        old.Write(stream);
        stream.Position = 0;
        var read = SentenceMemory.Read(stream, "memory");
        Assert.IsFalse(read.HasEmbeddings);
        // Not disposed: it shares the trained network's model.
        var copy = new PriorNetwork(network.Model, network.Tokenizer, network.UsePrototypes) { SentenceMemory = read };
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.PriorReportDraft(copy));
        StringAssert.Contains(error.Message, "holds no embeddings");
        var pixels = new[] { network.LoadImage(TrainingFixture.Instance.Studies[600].ImagePaths[0]) };
        Assert.AreEqual(
            network.DraftReports(pixels, ReportDraftMethod.Prototype)[0].Text,
            copy.DraftReports(pixels, ReportDraftMethod.Prototype)[0].Text
        );
        StringAssert.Contains(Assert.Throws<InvalidOperationException>(() => copy.DraftReports(pixels)).Message, "the Prototype method");
    }

    [TestMethod]
    public void ANetworkWithoutMemoryIsRefusedClearly()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.PriorReportDraft(TestNetwork.Instance));
        StringAssert.Contains(error.Message, "no sentence memory");
    }
}
