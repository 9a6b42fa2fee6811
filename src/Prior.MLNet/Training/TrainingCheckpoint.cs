using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// A training checkpoint: a folder <c>step-NNNNNNNN/</c> holding the model (<c>model.bin</c>, TorchSharp format), the
/// optimizer (<c>optimizer.bin</c>), the torch random state (<c>rng.bin</c>) and <c>state.json</c> (format version,
/// position, seed, model sizes). It is written to a temporary folder and renamed, so a killed run leaves either the
/// whole checkpoint or none. Version history: 1 — first version.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The format version written and read.</summary>
    public const int Version = 1;

    private sealed record State(int Version, int StageIndex, int Epoch, int Batch, long GlobalStep, long Seed, string ModelOptions);

    /// <summary>Writes a checkpoint and keeps the newest <paramref name="keep"/>.</summary>
    internal static string Save(string directory, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, TrainingPosition position, long seed,
        string modelOptions, int keep)
    {
        Directory.CreateDirectory(directory);
        var name = FormattableString.Invariant($"step-{position.GlobalStep:D8}");
        var final = Path.Combine(directory, name);
        var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            model.save(Path.Combine(temp, "model.bin"));
            optimizer.save_state_dict(Path.Combine(temp, "optimizer.bin"));
            using (var rng = random.get_rng_state())
                File.WriteAllBytes(Path.Combine(temp, "rng.bin"), rng.bytes.ToArray());
            var state = new State(Version, position.StageIndex, position.Epoch, position.Batch, position.GlobalStep, seed, modelOptions);
            File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state));
            if (Directory.Exists(final))
                Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
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

    /// <summary>The complete checkpoints in <paramref name="directory"/>, oldest first.</summary>
    public static IReadOnlyList<string> List(string directory) =>
        !Directory.Exists(directory) ? []
            : Directory.GetDirectories(directory, "step-*").Where(d => File.Exists(Path.Combine(d, "state.json")))
                .Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads the position of a checkpoint, checking its version and that it was made for the same model and seed.</summary>
    internal static TrainingPosition ReadPosition(string checkpoint, long seed, string modelOptions)
    {
        var path = Path.Combine(checkpoint, "state.json");
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a checkpoint state ({ex.Message}).", ex);
        }
        if (state.Version != Version)
            throw new InvalidDataException($"{path}: checkpoint version {state.Version} is not supported (this build reads {Version}).");
        if (state.ModelOptions != modelOptions)
            throw new InvalidDataException($"{checkpoint}: the checkpoint was made for other model sizes; resume with the same preset and options.");
        if (state.Seed != seed)
            throw new InvalidDataException($"{checkpoint}: the checkpoint was made with seed {state.Seed}, not {seed}.");
        return new TrainingPosition(state.StageIndex, state.Epoch, state.Batch, state.GlobalStep);
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
