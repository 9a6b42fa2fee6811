using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Prior.MLNet.IO;
using Prior.MLNet.Text;

namespace Prior.MLNet.Modeling;

/// <summary>
/// A trained PRIOR network with everything needed to use it: a zip with <c>prior-model.json</c> (format, version,
/// sizes, whether the text path uses prototypes), <c>model.bin</c> (TorchSharp weights) and <c>vocab.txt</c>.
/// Written atomically. Version history: 1 — first version; 2 — adds the tokenizer's casing, the
/// <see cref="PriorInferenceSettings"/> and the SHA-256 of model.bin, checked on load (a version-1 file reads as cased,
/// with the default settings, unchecked).
/// </summary>
internal static class PriorModelFile
{
    /// <summary>The format name in <c>prior-model.json</c>.</summary>
    public const string FormatName = "prior-mlnet-model";

    /// <summary>The version written and read.</summary>
    public const int Version = 2;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    private sealed record Header(
        string Format,
        int Version,
        PriorModelOptions Options,
        bool UsePrototypes,
        bool LowerCase = false,
        PriorInferenceSettings? Inference = null,
        string? WeightsSha256 = null,
        string? VocabularySha256 = null,
        string? SentenceMemorySha256 = null
    );

    /// <summary>A loaded model file.</summary>
    /// <param name="Model">The network, in eval mode on the CPU.</param>
    /// <param name="Tokenizer">The tokenizer of its vocabulary.</param>
    /// <param name="UsePrototypes">True when training reached stage 2: reports go through the prototype bank.</param>
    /// <param name="Inference">How the network is meant to be used (normalisation, prompts).</param>
    public sealed record Loaded(PriorModel Model, ReportTokenizer Tokenizer, bool UsePrototypes, PriorInferenceSettings Inference)
    {
        /// <summary>The sentence memory drafts are written from, when the model holds one.</summary>
        public Generation.SentenceMemory? SentenceMemory { get; init; }
    }

    /// <summary>Saves <paramref name="model"/> with its tokenizer's vocabulary to <paramref name="path"/>.</summary>
    public static void Save(
        string path,
        PriorModel model,
        ReportTokenizer tokenizer,
        bool usePrototypes,
        PriorInferenceSettings? inference = null,
        Generation.SentenceMemory? memory = null
    ) => AtomicFile.Write(path, stream => Save(stream, model, tokenizer, usePrototypes, inference, memory));

    /// <summary>Writes the model file's bytes to <paramref name="stream"/> (e.g. inside an ML.NET model zip).</summary>
    public static void Save(
        Stream stream,
        PriorModel model,
        ReportTokenizer tokenizer,
        bool usePrototypes,
        PriorInferenceSettings? inference = null,
        Generation.SentenceMemory? memory = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        using var weights = new MemoryStream();
        using (var writer = new BinaryWriter(weights, System.Text.Encoding.UTF8, leaveOpen: true))
            model.save(writer);
        var sha = Sha256(weights.ToArray());
        var vocabularyText = string.Concat(tokenizer.Vocabulary.Select(t => t + "\n"));
        var vocabularySha = Sha256(System.Text.Encoding.UTF8.GetBytes(vocabularyText));
        byte[]? memoryBytes = null;
        if (memory is not null)
        {
            using var buffer = new MemoryStream();
            memory.Write(buffer);
            memoryBytes = buffer.ToArray();
        }
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var writer = new StreamWriter(zip.CreateEntry("prior-model.json").Open()))
            writer.Write(
                JsonSerializer.Serialize(
                    new Header(
                        FormatName,
                        Version,
                        model.Options,
                        usePrototypes,
                        tokenizer.LowerCase,
                        inference ?? PriorInferenceSettings.Default,
                        sha,
                        vocabularySha,
                        memoryBytes is null ? null : Sha256(memoryBytes)
                    ),
                    Json
                )
            );
        if (memoryBytes is not null)
        {
            using var entry = zip.CreateEntry(MemoryEntry).Open();
            entry.Write(memoryBytes);
        }
        using (var entry = zip.CreateEntry("model.bin").Open())
        {
            weights.Position = 0;
            weights.CopyTo(entry);
        }
        using var vocabulary = new StreamWriter(zip.CreateEntry("vocab.txt").Open(), new System.Text.UTF8Encoding(false))
        {
            NewLine = "\n",
        };
        vocabulary.Write(vocabularyText);
    }

    /// <summary>Loads a model file; a truncated or foreign file gives an <see cref="InvalidDataException"/> naming it.</summary>
    public static Loaded Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the model file does not exist.", path);
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads a model file from a stream; <paramref name="name"/> names it in errors.</summary>
    public static Loaded Load(Stream stream, string name)
    {
        var path = name;
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var headerEntry = zip.GetEntry("prior-model.json")
                ?? throw new InvalidDataException($"{path}: not a Prior.MLNet model (no prior-model.json).");
            Header header;
            using (var reader = new StreamReader(headerEntry.Open()))
                header = JsonSerializer.Deserialize<Header>(reader.ReadToEnd(), Json)
                    ?? throw new InvalidDataException($"{path}: empty prior-model.json.");
            if (header.Format != FormatName)
                throw new InvalidDataException($"{path}: not a Prior.MLNet model (format '{header.Format}').");
            if (header.Version is < 1 or > Version)
                throw new InvalidDataException(
                    $"{path}: model format version {header.Version} is not supported (this build reads 1 to {Version})."
                );
            var inference = header.Inference ?? PriorInferenceSettings.Default;
            inference.Validate();
            var vocabulary = ReadEntry(zip, "vocab.txt", path);
            if (header.VocabularySha256 is { } expectedVocabulary && Sha256(vocabulary) != expectedVocabulary)
                throw new InvalidDataException($"{path}: vocab.txt does not match its checksum; the file is damaged.");
            var weights = ReadEntry(zip, "model.bin", path);
            if (header.WeightsSha256 is { } expected && Sha256(weights) != expected)
                throw new InvalidDataException($"{path}: model.bin does not match its checksum; the file is damaged.");
            var tokenizer = ReportTokenizer.FromTokens(Lines(vocabulary), header.Options.MaxTokens, header.LowerCase, $"{path}: vocab.txt");
            var model = new PriorModel(header.Options, tokenizer.VocabularySize);
            try
            {
                using (var reader = new BinaryReader(new MemoryStream(weights)))
                    model.load(reader);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            Generation.SentenceMemory? memory = null;
            if (header.SentenceMemorySha256 is { } expectedMemory)
            {
                var bytes = ReadEntry(zip, MemoryEntry, path);
                if (Sha256(bytes) != expectedMemory)
                    throw new InvalidDataException($"{path}: {MemoryEntry} does not match its checksum; the file is damaged.");
                memory = Generation.SentenceMemory.Read(new MemoryStream(bytes), $"{path}: {MemoryEntry}");
            }
            return new Loaded(model, tokenizer, header.UsePrototypes, inference) { SentenceMemory = memory };
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or EndOfStreamException or ArgumentException or IOException)
        {
            throw ex is InvalidDataException ide && ide.Message.StartsWith(path, StringComparison.Ordinal)
                ? ide
                : new InvalidDataException($"{path}: not a readable Prior.MLNet model ({ex.Message}).", ex);
        }
    }

    // Written only when the network has a sentence memory; older readers ignore it.
    private const string MemoryEntry = "sentence-memory.bin";

    private static byte[] ReadEntry(ZipArchive zip, string name, string path)
    {
        using var entry = (zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: no {name} inside.")).Open();
        using var copy = new MemoryStream();
        entry.CopyTo(copy);
        return copy.ToArray();
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));

    // vocab.txt's lines, split as File.ReadAllLines splits them.
    private static List<string> Lines(byte[] text)
    {
        var lines = new List<string>();
        using var reader = new StringReader(System.Text.Encoding.UTF8.GetString(text));
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return lines;
    }
}
