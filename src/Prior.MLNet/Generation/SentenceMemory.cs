using System.Text;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
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
/// The sentence memory a draft is written from: the distinct sentences of the training reports, each with its
/// noise-free prototype vector q = softmax(x·Eᵀ/τ)·E under the trained network (the space the stage-3 prototype
/// decoder predicts into, as its L_spg target). A predicted slot maps to the sentence whose key is nearest in L1
/// (the distance L_spg and its matching use), or to nothing when the zero vector (an empty slot's target) is nearer.
/// </summary>
internal sealed class SentenceMemory
{
    private const string Magic = "PRIOR-SENTENCE-MEMORY";
    private const int FormatVersion = 1;
    private readonly float[] _keys;

    /// <summary>Wraps sentences and their keys (row-major [Count, <paramref name="dimension"/>]).</summary>
    public SentenceMemory(IReadOnlyList<RememberedSentence> sentences, float[] keys, int dimension)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (keys.Length != sentences.Count * dimension)
            throw new ArgumentException(
                $"{sentences.Count} sentences of dimension {dimension} need {sentences.Count * dimension} key values; got {keys.Length}.",
                nameof(keys)
            );
        Sentences = sentences;
        _keys = keys;
        Dimension = dimension;
    }

    /// <summary>The remembered sentences, most frequent first.</summary>
    public IReadOnlyList<RememberedSentence> Sentences { get; }

    /// <summary>The keys' width (the network's embedding size).</summary>
    public int Dimension { get; }

    /// <summary>The keys as a tensor [Count, Dimension] (a new tensor; the caller disposes it).</summary>
    public Tensor Keys(Device device) => tensor(_keys, [Sentences.Count, Dimension]).to(device);

    /// <summary>
    /// Builds the memory from training reports (each as its FINDINGS and IMPRESSION sentences; a report without sections
    /// passes its sentences as findings): distinct sentences, the <paramref name="maxSentences"/> most frequent kept,
    /// keyed by <paramref name="model"/>'s text tower and bank.
    /// </summary>
    public static SentenceMemory Build(
        PriorModel model,
        ReportTokenizer tokenizer,
        IEnumerable<(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)> reports,
        int maxSentences = 20_000
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSentences, 1);
        var stats = new Dictionary<string, (int Count, int Findings, int Impression, double PositionSumF, double PositionSumI)>(
            StringComparer.Ordinal
        );
        void Add(IReadOnlyList<string> sentences, bool impression)
        {
            for (int i = 0; i < sentences.Count; i++)
            {
                var text = sentences[i].Trim();
                if (text.Length == 0)
                    continue;
                double position = sentences.Count == 1 ? 0 : i / (double)(sentences.Count - 1);
                stats.TryGetValue(text, out var s);
                stats[text] = impression
                    ? (s.Count + 1, s.Findings, s.Impression + 1, s.PositionSumF, s.PositionSumI + position)
                    : (s.Count + 1, s.Findings + 1, s.Impression, s.PositionSumF + position, s.PositionSumI);
            }
        }
        foreach (var (findings, impression) in reports)
        {
            Add(findings ?? [], impression: false);
            Add(impression ?? [], impression: true);
        }
        if (stats.Count == 0)
            throw new ArgumentException("The reports hold no sentence to remember.", nameof(reports));
        var kept = stats.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(maxSentences).ToList();
        var encoded = SentenceVectors.Encode(model, tokenizer, kept.Select(kv => (IReadOnlyList<string>)[kv.Key]).ToList());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = model.training;
        model.eval();
        var assignment = model.sentence_bank.Assign(encoded.Vectors, null);
        model.train(wasTraining);
        var keys = assignment.Prototypes.cpu().contiguous().data<float>().ToArray();
        var prototypes = assignment.Index.cpu().data<long>().ToArray();
        encoded.Vectors.Dispose();
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
        return new SentenceMemory(sentences, rows.ToArray(), dim);
    }

    /// <summary>
    /// Builds the memory from the reports of an <see cref="Microsoft.ML.IDataView"/>: its FINDINGS and IMPRESSION text
    /// columns when it has both (as <c>LoadMimicCxr</c> gives), otherwise its sentence vector column, read as findings.
    /// </summary>
    public static SentenceMemory Build(
        PriorModel model,
        ReportTokenizer tokenizer,
        Microsoft.ML.IDataView data,
        string findingsColumnName = Defaults.FindingsColumnName,
        string impressionColumnName = Defaults.ImpressionColumnName,
        string sentencesColumnName = Defaults.SentencesColumnName,
        int maxSentences = 20_000
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
        return Build(model, tokenizer, reports, maxSentences);
    }

    /// <summary>Writes the memory (binary, little-endian; texts in UTF-8).</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
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
            if (version != FormatVersion)
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
            var keys = new float[count * dim];
            for (int i = 0; i < keys.Length; i++)
                keys[i] = r.ReadSingle();
            return new SentenceMemory(sentences, keys, dim);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{name}: the sentence memory is cut short.", ex);
        }
    }
}
