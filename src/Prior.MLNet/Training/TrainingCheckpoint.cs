using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// A training checkpoint: a folder <c>step-NNNNNNNN/</c> holding the model (<c>model.bin</c>, TorchSharp format), the
/// optimizer (<c>optimizer.bin</c>), the torch random state (<c>rng.bin</c>) and <c>state.json</c> (format version,
/// position, seed, model sizes, and the SHA-256 of every file). It is written to a temporary folder, each file flushed
/// to disk, then renamed, so a killed run leaves either the whole checkpoint or none; a checkpoint damaged afterwards
/// (a bad disk, a partial copy) fails its checksums and resuming falls back to the newest good one. A write that fails
/// (a full disk) removes its temporary folder and leaves the earlier checkpoints as they were.
/// Version history: 1 — first version; 2 — file checksums.
/// </summary>
internal static class TrainingCheckpoint
{
    /// <summary>The format version written and read.</summary>
    public const int Version = 2;

    private static readonly string[] Files = ["model.bin", "optimizer.bin", "rng.bin"];

    private sealed record State(
        int Version,
        int StageIndex,
        int Epoch,
        int Batch,
        long GlobalStep,
        long Seed,
        string ModelOptions,
        IReadOnlyDictionary<string, string>? Sha256 = null,
        IReadOnlyList<long>? BankUsage = null
    );

    /// <summary>Writes a checkpoint and keeps the newest <paramref name="keep"/>.</summary>
    internal static string Save(
        string directory,
        nn.Module model,
        TorchSharp.Modules.OptimizerHelper optimizer,
        TrainingPosition position,
        long seed,
        string modelOptions,
        int keep
    )
    {
        Directory.CreateDirectory(directory);
        var name = FormattableString.Invariant($"step-{position.GlobalStep:D8}");
        var final = Path.Combine(directory, name);
        var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
            WriteFault?.Invoke(temp);
            model.save(Path.Combine(temp, "model.bin"));
            optimizer.save_state_dict(Path.Combine(temp, "optimizer.bin"));
            using (var rng = random.get_rng_state())
                File.WriteAllBytes(Path.Combine(temp, "rng.bin"), rng.bytes.ToArray());
            var sums = Files.ToDictionary(f => f, f => FlushAndHash(Path.Combine(temp, f)));
            var state = new State(
                Version,
                position.StageIndex,
                position.Epoch,
                position.Batch,
                position.GlobalStep,
                seed,
                modelOptions,
                sums,
                position.BankUsage
            );
            File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state));
            FlushAndHash(Path.Combine(temp, "state.json"));
            if (Directory.Exists(final))
                Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch (IOException ex)
        {
            var previous = List(directory).LastOrDefault();
            throw new IOException(
                $"{directory}: could not write the checkpoint of step {position.GlobalStep} ({ex.Message}); training stopped. "
                    + (
                        previous is null
                            ? "No earlier checkpoint exists."
                            : $"The previous checkpoint {Path.GetFileName(previous)} is intact; free space and resume."
                    ),
                ex
            );
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
        foreach (var old in List(directory).SkipLast(keep))
            Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Fault injection for tests where no size-limited folder can be mounted: called with the temporary folder before the files
    /// are written.</summary>
    internal static Action<string>? WriteFault { get; set; }

    // fsync the file (so a power cut after the rename cannot leave a renamed but empty file) and return its SHA-256.
    private static string FlushAndHash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
        return Sha256(stream);
    }

    private static string Sha256(Stream stream) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));

    /// <summary>
    /// Removes the temporary folders of checkpoint writes that never finished (a killed or crashed run) and returns
    /// their names. Call before training starts, when no write is under way.
    /// </summary>
    public static IReadOnlyList<string> RemoveStale(string directory)
    {
        if (!Directory.Exists(directory))
            return [];
        var stale = Directory.GetDirectories(directory, ".step-*.tmp");
        foreach (var folder in stale)
            Directory.Delete(folder, recursive: true);
        return stale.Select(Path.GetFileName).ToList()!;
    }

    /// <summary>
    /// The newest checkpoint that reads whole (state, checksums, weights, random state) into <paramref name="model"/>,
    /// with its position; damaged newer ones are skipped and named through <paramref name="notice"/>. A checkpoint of
    /// other model options or another seed is the user's mistake, not damage: it throws. Null when none is usable.
    /// </summary>
    internal static (string Path, TrainingPosition Position)? LoadNewestGood(
        string directory,
        long seed,
        string modelOptions,
        nn.Module model,
        Action<string> notice
    )
    {
        foreach (var checkpoint in List(directory).Reverse())
        {
            State state;
            try
            {
                state = ReadState(checkpoint, seed, modelOptions);
            }
            catch (InvalidDataException ex)
            {
                notice($"checkpoint {checkpoint} is damaged and was skipped: {ex.Message}");
                continue;
            }
            try
            {
                Verify(checkpoint, state);
                LoadModelAndRandomState(checkpoint, model);
                return (checkpoint, Position(state));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                notice($"checkpoint {checkpoint} is damaged and was skipped: {ex.Message}");
            }
        }
        return null;
    }

    private static void Verify(string checkpoint, State state)
    {
        foreach (var file in Files)
        {
            var full = Path.Combine(checkpoint, file);
            if (!File.Exists(full))
                throw new CheckpointDamagedException($"{full} is missing");
            if (state.Sha256 is { } sums && sums.TryGetValue(file, out var expected))
            {
                using var stream = File.OpenRead(full);
                if (Sha256(stream) != expected)
                    throw new CheckpointDamagedException($"{full} does not match its checksum");
            }
        }
    }

    private sealed class CheckpointDamagedException(string message) : Exception(message);

    /// <summary>The complete checkpoints in <paramref name="directory"/>, oldest first.</summary>
    public static IReadOnlyList<string> List(string directory) =>
        !Directory.Exists(directory)
            ? []
            : Directory
                .GetDirectories(directory, "step-*")
                .Where(d => File.Exists(Path.Combine(d, "state.json")))
                .Order(StringComparer.Ordinal)
                .ToList();

    private static TrainingPosition Position(State state) =>
        new(state.StageIndex, state.Epoch, state.Batch, state.GlobalStep) { BankUsage = state.BankUsage };

    // state.json, checked for version (damage: InvalidDataException) and for being this run's (ArgumentException).
    private static State ReadState(string checkpoint, long seed, string modelOptions)
    {
        var path = Path.Combine(checkpoint, "state.json");
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty.");
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new InvalidDataException($"{path}: not a readable checkpoint state ({ex.Message}).", ex);
        }
        if (state.Version is < 1 or > Version)
            throw new InvalidDataException(
                $"{path}: checkpoint version {state.Version} is not supported (this build reads 1 to {Version})."
            );
        if (!SameModelOptions(state.ModelOptions, modelOptions))
            throw new ArgumentException(
                $"{checkpoint}: the checkpoint was made for other model options (sizes or switches); resume with the same preset and "
                    + $"options."
            );
        if (state.Seed != seed)
            throw new ArgumentException($"{checkpoint}: the checkpoint was made with seed {state.Seed}, not {seed}.");
        return state;
    }

    // The same options, read the way this build reads them: a checkpoint written before an option existed lacks its key,
    // which means the option's default (what the older build did), so both sides are compared after a round trip
    // through PriorModelOptions rather than as text.
    private static bool SameModelOptions(string stored, string current)
    {
        if (stored == current)
            return true;
        try
        {
            return JsonSerializer.Deserialize<Modeling.PriorModelOptions>(stored) is { } options
                && JsonSerializer.Serialize(options) == current;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Loads the model weights and the random state of a checkpoint.</summary>
    internal static void LoadModelAndRandomState(string checkpoint, nn.Module model)
    {
        model.load(Path.Combine(checkpoint, "model.bin"));
        var bytes = File.ReadAllBytes(Path.Combine(checkpoint, "rng.bin"));
        using var state = tensor(bytes, dtype: ScalarType.Byte);
        random.set_rng_state(state);
    }

    /// <summary>Loads the optimizer state of a checkpoint (when it was written inside the same stage).</summary>
    internal static void LoadOptimizer(string checkpoint, TorchSharp.Modules.OptimizerHelper optimizer) =>
        optimizer.load_state_dict(Path.Combine(checkpoint, "optimizer.bin"));
}
