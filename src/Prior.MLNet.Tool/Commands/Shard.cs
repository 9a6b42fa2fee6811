using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.IO;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// One of N parts of a batch job (<c>--shard K/N</c>), for running <c>embed</c>, <c>classify</c>, <c>mimic-index</c> and
/// <c>cache</c> across machines by the scheduler a site already runs (a Slurm array, a Kubernetes indexed Job:
/// docs/scaling.md). Inputs are split by study, stably: an input belongs to shard FNV-1a-64(its study key) mod N
/// (<see cref="DataShard"/>), so shards never overlap, every machine computes the same split without talking to the
/// others, and the images of one study stay together. Each
/// shard writes its output and, beside it, <c>OUTPUT.shard.json</c> (which shard, of how many, a hash of the whole input
/// list, and the list positions of the rows written), from which <c>prior merge</c> rebuilds the unsharded output.
/// </summary>
internal sealed record Shard(int Index, int Count)
{
    /// <summary>The sidecar's format tag.</summary>
    public const string Format = "prior-shard/1";

    /// <summary>The environment variables <c>--shard auto/N</c> reads the shard's index from, in this order.</summary>
    public static readonly string[] IndexVariables = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

    /// <summary>The <c>--shard</c> option.</summary>
    public static Option<string?> CreateOption() =>
        new("--shard")
        {
            Description =
                "Run part K of N (K from 0), split by study; 'auto/N' reads K from JOB_COMPLETION_INDEX (Kubernetes) or "
                + "SLURM_ARRAY_TASK_ID (Slurm). Writes OUT.shard.json beside OUT; join the parts with 'prior merge'.",
            HelpName = "K/N",
        };

    /// <summary>Reads <c>K/N</c> or <c>auto/N</c>; null for null. <paramref name="environment"/> looks up variables.</summary>
    public static Shard? Parse(string? text, Func<string, string?>? environment = null)
    {
        if (text is null)
            return null;
        environment ??= Environment.GetEnvironmentVariable;
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[1], out int count) || count < 1)
            throw new ArgumentException($"--shard must be K/N (K from 0 to N-1, N at least 1) or auto/N; not '{text}'.");
        string indexText = parts[0];
        string source = "--shard";
        if (string.Equals(indexText, "auto", StringComparison.OrdinalIgnoreCase))
        {
            var variable = IndexVariables.FirstOrDefault(v => !string.IsNullOrWhiteSpace(environment(v)));
            if (variable is null)
                throw new ArgumentException(
                    $"--shard auto/{count}: neither {string.Join(" nor ", IndexVariables)} is set; give the index as --shard K/{count}."
                );
            indexText = environment(variable)!.Trim();
            source = variable;
        }
        if (!int.TryParse(indexText, out int index) || index < 0 || index >= count)
            throw new ArgumentException($"{source}: the shard index must be a whole number from 0 to {count - 1}; not '{indexText}'.");
        return new Shard(index, count);
    }

    /// <summary>
    /// The key inputs are split by: an image's folder (a MIMIC-CXR study's <c>sNNNNNNNN</c>, a CheXpert
    /// <c>patientN/studyM</c>), a report file's folder, or a report given as text itself.
    /// </summary>
    public static string StudyKey(string input)
    {
        var normalized = input.Replace('\\', '/');
        int slash = normalized.LastIndexOf('/');
        return slash > 0 ? normalized[..slash] : normalized;
    }

    /// <summary>Whether the input with study key <paramref name="key"/> belongs to this shard.</summary>
    public bool Holds(string key) => Of(key, Count) == Index;

    /// <summary>The shard of a key among <paramref name="count"/>: the library's split (<see cref="DataShard.Of"/>).</summary>
    public static int Of(string key, int count) => DataShard.Of(key, count);

    /// <summary>This shard as the library's loaders take it (<see cref="MimicCxrLoaderOptions.Shard"/>).</summary>
    public DataShard Part => new(Index, Count);

    /// <summary>The positions in <paramref name="inputs"/> of this shard's inputs, in order.</summary>
    public IReadOnlyList<int> Select(IReadOnlyList<string> inputs, Func<string, string>? key = null)
    {
        key ??= StudyKey;
        return Enumerable.Range(0, inputs.Count).Where(i => Holds(key(inputs[i]))).ToList();
    }

    /// <summary>A hash of the whole input list, so that merge can tell shards of different lists apart.</summary>
    public static string Fingerprint(IEnumerable<string> inputs) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", inputs))));

    /// <summary>What a shard's sidecar records.</summary>
    internal sealed record Sidecar(
        string Format,
        string Command,
        int Shard,
        int Of,
        string Inputs,
        int InputCount,
        int HeaderLines,
        int[] Positions
    );

    /// <summary>The sidecar's path beside <paramref name="output"/>.</summary>
    public static string SidecarPath(string output) => output + ".shard.json";

    /// <summary>
    /// Writes the sidecar of this shard's <paramref name="output"/> (atomically): the output opens with
    /// <paramref name="headerLines"/> lines every shard writes alike, then one line per row; <paramref name="positions"/> are
    /// the rows' list positions, in row order.
    /// </summary>
    public void WriteSidecar(string output, string command, IReadOnlyList<string> inputs, int headerLines, IEnumerable<int> positions)
    {
        var sidecar = new Sidecar(Format, command, Index, Count, Fingerprint(inputs), inputs.Count, headerLines, positions.ToArray());
        AtomicFile.WriteText(SidecarPath(output), w => w.Write(JsonSerializer.Serialize(sidecar)));
    }

    /// <summary>Reads the sidecar of a shard output, naming the file when it is missing or unreadable.</summary>
    public static Sidecar ReadSidecar(string output)
    {
        var path = SidecarPath(output);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{output}: no {Path.GetFileName(path)} beside it; was it written with --shard?", path);
        try
        {
            var sidecar = JsonSerializer.Deserialize<Sidecar>(File.ReadAllText(path));
            if (sidecar is null || sidecar.Format != Format || sidecar.Positions is null || sidecar.Command is null)
                throw new InvalidDataException($"{path}: not a {Format} shard record.");
            return sidecar;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a {Format} shard record ({ex.Message}).", ex);
        }
    }
}
