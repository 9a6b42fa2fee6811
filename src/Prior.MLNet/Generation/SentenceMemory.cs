using System.Text;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Generation;

/// <summary>Where a remembered sentence was written.</summary>
internal enum ReportSection
{
    /// <summary>FINDINGS (or the report when it has no sections).</summary>
    Findings,

    /// <summary>IMPRESSION.</summary>
    Impression,
}

/// <summary>One distinct training sentence.</summary>
/// <param name="Text">The sentence as written.</param>
/// <param name="Section">The section it was written in most often.</param>
/// <param name="Position">Its mean relative position within that section (0 first, 1 last), for ordering drafts.</param>
/// <param name="Count">How many training reports hold it.</param>
/// <param name="Prototype">The bank prototype it is assigned to (noise-free).</param>
internal sealed record RememberedSentence(string Text, ReportSection Section, double Position, int Count, int Prototype);

/// <summary>
/// The memory a draft is written from (docs/drafting.md), built from the training reports under the trained network:
/// <list type="bullet">
/// <item>the distinct training sentences, each with its noise-free prototype vector q = softmax(x·Eᵀ/τ)·E (the space
/// the stage-3 prototype decoder predicts into, as its L_spg target; <see cref="ReportDraftMethod.Prototype"/>) and its
/// embedding as a one-sentence report in the joint space (<see cref="ReportDraftMethod.Retrieval"/>);</item>
/// <item>training reports whole, with their embeddings (<see cref="ReportDraftMethod.NearestReport"/>);</item>
/// <item>the training reports' median sentence count (how many sentences a retrieval draft holds).</item>
/// </list>
/// </summary>
internal sealed class SentenceMemory
{
    private const string Magic = "PRIOR-SENTENCE-MEMORY";
    private const int FormatVersion = 2;
    private readonly float[] _keys;
    private readonly float[]? _sentenceEmbeddings;
    private readonly float[]? _reportEmbeddings;
    private HashSet<int>[]? _mentions;

    /// <summary>
    /// Wraps sentences and their prototype keys (row-major [Count, <paramref name="dimension"/>]), and for the
    /// embedding-space methods their embeddings, training reports with theirs, and the reports' typical length
    /// (a memory written before those methods has none of them).
    /// </summary>
    public SentenceMemory(
        IReadOnlyList<RememberedSentence> sentences,
        float[] keys,
        int dimension,
        float[]? sentenceEmbeddings = null,
        IReadOnlyList<ReportDraft>? reports = null,
        float[]? reportEmbeddings = null,
        int typicalSentenceCount = 3,
        bool prototypeDecoderTrained = true
    )
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(typicalSentenceCount, 1);
        if (keys.Length != sentences.Count * dimension)
            throw new ArgumentException(
                $"{sentences.Count} sentences of dimension {dimension} need {sentences.Count * dimension} key values; got {keys.Length}.",
                nameof(keys)
            );
        if (sentenceEmbeddings is not null && sentenceEmbeddings.Length != keys.Length)
            throw new ArgumentException(
                $"{sentences.Count} sentences need {keys.Length} embedding values; got {sentenceEmbeddings.Length}.",
                nameof(sentenceEmbeddings)
            );
        reports ??= [];
        if ((reportEmbeddings?.Length ?? 0) != reports.Count * dimension)
            throw new ArgumentException(
                $"{reports.Count} reports need {reports.Count * dimension} embedding values; got {reportEmbeddings?.Length ?? 0}.",
                nameof(reportEmbeddings)
            );
        Sentences = sentences;
        _keys = keys;
        Dimension = dimension;
        _sentenceEmbeddings = sentenceEmbeddings;
        Reports = reports;
        _reportEmbeddings = reportEmbeddings;
        TypicalSentenceCount = typicalSentenceCount;
        PrototypeDecoderTrained = prototypeDecoderTrained;
    }

    /// <summary>
    /// Whether the network's stage-3 prototype decoder was trained when the memory was built (prototype drafts from an
    /// untrained decoder are noise, so they are refused). A memory written before format 2 was only built after stage 3.
    /// </summary>
    public bool PrototypeDecoderTrained { get; }

    /// <summary>The remembered sentences, most frequent first.</summary>
    public IReadOnlyList<RememberedSentence> Sentences { get; }

    /// <summary>The remembered training reports (all of them, or an even sample of a larger set).</summary>
    public IReadOnlyList<ReportDraft> Reports { get; }

    /// <summary>The training reports' median number of sentences.</summary>
    public int TypicalSentenceCount { get; }

    /// <summary>The keys' width (the network's embedding size).</summary>
    public int Dimension { get; }

    /// <summary>Whether the memory holds the embeddings retrieval and nearest-report drafts need (written since format 2).</summary>
    public bool HasEmbeddings => _sentenceEmbeddings is not null && Reports.Count > 0;

    /// <summary>The keys as a tensor [Count, Dimension] (a new tensor; the caller disposes it).</summary>
    public Tensor Keys(Device device) => tensor(_keys, [Sentences.Count, Dimension]).to(device);

    /// <summary>The sentences' normalised embeddings, row-major [Count, Dimension].</summary>
    public ReadOnlySpan<float> SentenceEmbeddings => _sentenceEmbeddings ?? throw NoEmbeddings();

    /// <summary>The reports' normalised embeddings, row-major [Reports.Count, Dimension].</summary>
    public ReadOnlySpan<float> ReportEmbeddings => HasEmbeddings ? _reportEmbeddings : throw NoEmbeddings();

    /// <summary>
    /// The CheXpert observations (indexes into <c>ChexpertLabels.Names</c>) sentence <paramref name="index"/> mentions, by
    /// the report labeler; No Finding, which the labeler derives from the absence of the others, is never counted.
    /// </summary>
    public IReadOnlySet<int> Mentions(int index)
    {
        var mentions = _mentions;
        if (mentions is null)
        {
            var labeler = new ChexpertReportLabeler();
            mentions = Sentences
                .Select(s =>
                    labeler
                        .LabelSentences([s.Text])
                        .Select((v, i) => (v, i))
                        .Where(p => p.i > 0 && !float.IsNaN(p.v))
                        .Select(p => p.i)
                        .ToHashSet()
                )
                .ToArray();
            _mentions = mentions;
        }
        return mentions[index];
    }

    private static InvalidOperationException NoEmbeddings() =>
        new(
            "The sentence memory was written before retrieval drafting existed and holds no embeddings: draft with the Prototype "
                + "method, or pretrain again to rebuild the memory."
        );

    /// <summary>
    /// Builds the memory from training reports (each as its FINDINGS and IMPRESSION sentences; a report without sections
    /// passes its sentences as findings) under <paramref name="network"/>: distinct sentences, the
    /// <paramref name="maxSentences"/> most frequent kept, and up to <paramref name="maxReports"/> reports (an even
    /// sample when there are more).
    /// </summary>
    public static SentenceMemory Build(
        PriorNetwork network,
        IEnumerable<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> reports,
        int maxSentences = 20_000,
        int maxReports = 20_000,
        bool prototypeDecoderTrained = true
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSentences, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReports, 1);
        var model = network.Model;
        var all = reports
            .Select(r =>
                (
                    Findings: (IReadOnlyList<string>)(r.Findings ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).ToList(),
                    Impression: (IReadOnlyList<string>)(r.Impression ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).ToList()
                )
            )
            .Where(r => r.Findings.Count + r.Impression.Count > 0)
            .ToList();
        var stats = new Dictionary<string, (int Count, int Findings, int Impression, double PositionSumF, double PositionSumI)>(
            StringComparer.Ordinal
        );
        void Add(IReadOnlyList<string> sentences, bool impression)
        {
            for (int i = 0; i < sentences.Count; i++)
            {
                var text = sentences[i];
                double position = sentences.Count == 1 ? 0 : i / (double)(sentences.Count - 1);
                stats.TryGetValue(text, out var s);
                stats[text] = impression
                    ? (s.Count + 1, s.Findings, s.Impression + 1, s.PositionSumF, s.PositionSumI + position)
                    : (s.Count + 1, s.Findings + 1, s.Impression, s.PositionSumF + position, s.PositionSumI);
            }
        }
        foreach (var (findings, impression) in all)
        {
            Add(findings, impression: false);
            Add(impression, impression: true);
        }
        if (stats.Count == 0)
            throw new ArgumentException("The reports hold no sentence to remember.", nameof(reports));
        var kept = stats.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(maxSentences).ToList();
        var encoded = SentenceVectors.Encode(model, network.Tokenizer, kept.Select(kv => (IReadOnlyList<string>)[kv.Key]).ToList());
        float[] keys;
        long[] prototypes;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            bool wasTraining = model.training;
            model.eval();
            var assignment = model.sentence_bank.Assign(encoded.Vectors, null);
            model.train(wasTraining);
            keys = assignment.Prototypes.cpu().contiguous().data<float>().ToArray();
            prototypes = assignment.Index.cpu().data<long>().ToArray();
            encoded.Vectors.Dispose();
        }
        var sentences = new List<RememberedSentence>();
        var rows = new List<float>();
        int dim = model.Options.EmbeddingDim;
        for (int row = 0; row < encoded.Report.Length; row++)
        {
            var (text, s) = kept[encoded.Report[row]];
            bool impression = s.Impression > s.Findings;
            double position = impression ? s.PositionSumI / s.Impression : s.PositionSumF / Math.Max(1, s.Findings);
            sentences.Add(
                new RememberedSentence(
                    text,
                    impression ? ReportSection.Impression : ReportSection.Findings,
                    position,
                    s.Count,
                    (int)prototypes[row]
                )
            );
            rows.AddRange(keys.AsSpan(row * dim, dim).ToArray());
        }
        // Each sentence as a one-sentence report in the joint space (as CXR-RePaiR embeds its sentence corpus).
        var sentenceEmbeddings = EmbedAll(network, sentences.Select(s => (IReadOnlyList<string>)[s.Text]).ToList());
        double stride = Math.Max(1.0, all.Count / (double)maxReports);
        var sampled = Enumerable
            .Range(0, Math.Min(all.Count, maxReports))
            .Select(i => all[(int)(i * stride)])
            .Select(r => new ReportDraft(r.Findings, r.Impression))
            .ToList();
        var reportEmbeddings = EmbedAll(network, sampled.Select(r => r.Sentences).ToList());
        var counts = all.Select(r => r.Findings.Count + r.Impression.Count).Order().ToList();
        return new SentenceMemory(
            sentences,
            rows.ToArray(),
            dim,
            sentenceEmbeddings,
            sampled,
            reportEmbeddings,
            Math.Max(1, counts[counts.Count / 2]),
            prototypeDecoderTrained
        );
    }

    private static float[] EmbedAll(PriorNetwork network, IReadOnlyList<IReadOnlyList<string>> reports)
    {
        var values = new float[reports.Count * network.EmbeddingDim];
        for (int start = 0; start < reports.Count; start += 256)
        {
            var batch = reports.Skip(start).Take(256).ToList();
            var embedded = network.EmbedReports(batch);
            for (int i = 0; i < embedded.Length; i++)
                embedded[i].CopyTo(values, (start + i) * network.EmbeddingDim);
        }
        return values;
    }

    /// <summary>
    /// Builds the memory from the reports of an <see cref="Microsoft.ML.IDataView"/>: its FINDINGS and IMPRESSION text
    /// columns when it has both (as <c>LoadMimicCxr</c> gives), otherwise its sentence vector column, read as findings.
    /// </summary>
    public static SentenceMemory Build(
        PriorNetwork network,
        Microsoft.ML.IDataView data,
        string findingsColumnName = Defaults.FindingsColumnName,
        string impressionColumnName = Defaults.ImpressionColumnName,
        string sentencesColumnName = Defaults.SentencesColumnName,
        int maxSentences = 20_000,
        int maxReports = 20_000,
        bool prototypeDecoderTrained = true
    )
    {
        ArgumentNullException.ThrowIfNull(data);
        var schema = data.Schema;
        bool IsText(string name) => schema.GetColumnOrNull(name)?.Type is Microsoft.ML.Data.TextDataViewType;
        var reports = new List<(IReadOnlyList<string>, IReadOnlyList<string>)>();
        if (IsText(findingsColumnName) && IsText(impressionColumnName))
        {
            using var cursor = data.GetRowCursor([schema[findingsColumnName], schema[impressionColumnName]]);
            var findings = cursor.GetGetter<ReadOnlyMemory<char>>(schema[findingsColumnName]);
            var impression = cursor.GetGetter<ReadOnlyMemory<char>>(schema[impressionColumnName]);
            ReadOnlyMemory<char> f = default,
                i = default;
            while (cursor.MoveNext())
            {
                findings(ref f);
                impression(ref i);
                reports.Add((Data.Reports.SentenceSplitter.Split(f.ToString()), Data.Reports.SentenceSplitter.Split(i.ToString())));
            }
        }
        else if (
            schema.GetColumnOrNull(sentencesColumnName)?.Type is Microsoft.ML.Data.VectorDataViewType
            {
                ItemType: Microsoft.ML.Data.TextDataViewType
            }
        )
        {
            using var cursor = data.GetRowCursor([schema[sentencesColumnName]]);
            var sentences = cursor.GetGetter<Microsoft.ML.Data.VBuffer<ReadOnlyMemory<char>>>(schema[sentencesColumnName]);
            Microsoft.ML.Data.VBuffer<ReadOnlyMemory<char>> value = default;
            while (cursor.MoveNext())
            {
                sentences(ref value);
                reports.Add((value.DenseValues().Select(v => v.ToString()).ToList(), []));
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(
                nameof(data),
                $"The data has neither text columns '{findingsColumnName}' and '{impressionColumnName}' nor a text vector column "
                    + $"'{sentencesColumnName}' to build the sentence memory from."
            );
        }
        return Build(network, reports, maxSentences, maxReports, prototypeDecoderTrained);
    }

    private static float[] ReadFloats(BinaryReader r, int count)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
            values[i] = r.ReadSingle();
        return values;
    }

    /// <summary>Writes the memory (binary, little-endian; texts in UTF-8).</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(HasEmbeddings ? FormatVersion : 1);
        w.Write(Sentences.Count);
        w.Write(Dimension);
        foreach (var s in Sentences)
        {
            w.Write(s.Text);
            w.Write((int)s.Section);
            w.Write(s.Position);
            w.Write(s.Count);
            w.Write(s.Prototype);
        }
        foreach (var v in _keys)
            w.Write(v);
        if (!HasEmbeddings)
            return; // read from format 1 (see the version written above), written back as it was
        foreach (var v in _sentenceEmbeddings!)
            w.Write(v);
        w.Write(TypicalSentenceCount);
        w.Write(PrototypeDecoderTrained);
        w.Write(Reports.Count);
        foreach (var report in Reports)
        {
            foreach (var section in new[] { report.Findings, report.Impression })
            {
                w.Write(section.Count);
                foreach (var sentence in section)
                    w.Write(sentence);
            }
        }
        foreach (var v in _reportEmbeddings!)
            w.Write(v);
    }

    /// <summary>Reads a memory written by <see cref="Write"/>; <paramref name="name"/> names the source in errors.</summary>
    public static SentenceMemory Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadString() != Magic)
                throw new InvalidDataException($"{name}: not a sentence memory.");
            int version = r.ReadInt32();
            if (version is < 1 or > FormatVersion)
                throw new InvalidDataException(
                    $"{name}: sentence memory version {version} is not supported (this build reads {FormatVersion})."
                );
            int count = r.ReadInt32(),
                dim = r.ReadInt32();
            if (count < 0 || dim < 1)
                throw new InvalidDataException($"{name}: sentence memory of {count} sentences of width {dim}.");
            var sentences = new List<RememberedSentence>(count);
            for (int i = 0; i < count; i++)
            {
                var text = r.ReadString();
                var section = (ReportSection)r.ReadInt32();
                if (!Enum.IsDefined(section))
                    throw new InvalidDataException($"{name}: sentence {i} has an unknown section {(int)section}.");
                sentences.Add(new RememberedSentence(text, section, r.ReadDouble(), r.ReadInt32(), r.ReadInt32()));
            }
            var keys = ReadFloats(r, count * dim);
            if (version == 1)
                return new SentenceMemory(sentences, keys, dim);
            var sentenceEmbeddings = ReadFloats(r, count * dim);
            int typical = r.ReadInt32();
            bool decoderTrained = r.ReadBoolean();
            int reportCount = r.ReadInt32();
            if (typical < 1 || reportCount < 0)
                throw new InvalidDataException($"{name}: sentence memory of {reportCount} reports of typical length {typical}.");
            var reports = new List<ReportDraft>(reportCount);
            for (int i = 0; i < reportCount; i++)
            {
                var sections = new List<string>[2];
                for (int k = 0; k < 2; k++)
                {
                    int n = r.ReadInt32();
                    if (n < 0)
                        throw new InvalidDataException($"{name}: report {i} has {n} sentences.");
                    sections[k] = Enumerable.Range(0, n).Select(_ => r.ReadString()).ToList();
                }
                reports.Add(new ReportDraft(sections[0], sections[1]));
            }
            var reportEmbeddings = ReadFloats(r, reportCount * dim);
            return new SentenceMemory(sentences, keys, dim, sentenceEmbeddings, reports, reportEmbeddings, typical, decoderTrained);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{name}: the sentence memory is cut short.", ex);
        }
    }
}
