using System.Collections;
using System.Text;
using Prior.MLNet.IO;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Prior.MLNet.Interop;

/// <summary>
/// Reads and writes PyTorch state dicts as files: pickles written by <c>torch.save</c> (<c>.pt</c>, <c>.pth</c>,
/// <c>.bin</c>, <c>.ckpt</c>; PyTorch Lightning checkpoints, whose weights sit under <c>state_dict</c>) and
/// <c>.safetensors</c>. The format is told by content, not by the file name. TorchSharp.PyBridge does the reading
/// and writing; this class adds the checks and the errors that name the file.
/// </summary>
internal static class StateDictFile
{
    /// <summary>A state dict read from a file, and what had to be unwrapped to reach it.</summary>
    /// <param name="Tensors">Name → tensor, on the CPU.</param>
    /// <param name="Container">"safetensors", "pickle" or "lightning" (a checkpoint dict with <c>state_dict</c> inside).</param>
    public sealed record Contents(Dictionary<string, Tensor> Tensors, string Container);

    /// <summary>Reads a state dict; errors name the file and what is wrong with it.</summary>
    public static Contents Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the weights file does not exist.", path);
        var head = new byte[9];
        int read;
        using (var probe = File.OpenRead(path))
            read = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        try
        {
            if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
                return ReadPickle(path);
            if (read == 9 && head[8] == (byte)'{')
                return new Contents(Safetensors.LoadStateDict(path), "safetensors");
        }
        catch (Exception ex) when (ex is not InvalidDataException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: could not read the weights ({ex.GetType().Name}: {ex.Message}).", ex);
        }
        if (read >= 2 && head[0] == 0x80)
            throw new InvalidDataException(
                $"{path}: a PyTorch file in the legacy (pre-1.6, non-zip) format; re-save it in Python with torch.save(torch.load(path), "
                    + $"new_path)."
            );
        throw new InvalidDataException($"{path}: neither a PyTorch state dict (torch.save zip) nor a .safetensors file.");
    }

    private static Contents ReadPickle(string path)
    {
        Hashtable table;
        using (var stream = File.OpenRead(path))
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        string container = "pickle";
        if (table["state_dict"] is Hashtable inner)
        {
            table = inner;
            container = "lightning";
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var other = new List<string>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string name && entry.Value is Tensor t)
                tensors[name] = t;
            else
                other.Add(entry.Key?.ToString() ?? "?");
        }
        if (tensors.Count == 0)
            throw new InvalidDataException(
                $"{path}: holds no tensors (keys: {string.Join(", ", other.Take(10))}); expected a state dict or a checkpoint with "
                    + $"'state_dict' inside."
            );
        return new Contents(tensors, container);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> atomically: <c>.safetensors</c> when the path ends so (optional string
    /// <paramref name="metadata"/> in its header), otherwise a <c>torch.save</c> pickle that <c>torch.load</c> reads.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().cpu(), StringComparer.Ordinal);
        bool safetensors = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
        AtomicFile.Write(path, stream =>
        {
            using var buffer = new MemoryStream();
            if (safetensors)
                Safetensors.SaveStateDict(buffer, ordered, leaveOpen: true);
            else
                PyTorchPickler.PickleStateDict(buffer, new Hashtable(ordered), leaveOpen: true);
            buffer.Position = 0;
            if (safetensors && metadata is { Count: > 0 })
                WithMetadata(buffer, metadata).CopyTo(stream);
            else
                buffer.CopyTo(stream);
        });
    }

    // Safetensors keeps string metadata under "__metadata__" in its JSON header: rewrite the header with it.
    private static Stream WithMetadata(Stream file, IReadOnlyDictionary<string, string> metadata)
    {
        var lengthBytes = new byte[8];
        file.ReadExactly(lengthBytes);
        long length = BitConverter.ToInt64(lengthBytes);
        var header = new byte[length];
        file.ReadExactly(header);
        var json = System.Text.Json.Nodes.JsonNode.Parse(Encoding.UTF8.GetString(header))!.AsObject();
        var meta = new System.Text.Json.Nodes.JsonObject();
        foreach (var (k, v) in metadata)
            meta[k] = v;
        json["__metadata__"] = meta;
        var text = json.ToJsonString();
        // The data must start at an 8-byte boundary after the header in some readers: pad with spaces.
        while ((Encoding.UTF8.GetByteCount(text) + 8) % 8 != 0)
            text += " ";
        var newHeader = Encoding.UTF8.GetBytes(text);
        var output = new MemoryStream();
        output.Write(BitConverter.GetBytes((long)newHeader.Length));
        output.Write(newHeader);
        file.CopyTo(output);
        output.Position = 0;
        return output;
    }
}
