using System.CommandLine;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.IO;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior merge</c>: joins the outputs of a job run in shards (<c>--shard K/N</c> of embed, classify, mimic-index,
/// cache) into the output the unsharded run writes: the shared header once (an index's counts added up), then every row
/// in the input list's order (a cache's images in its list's order). An index or a cache is the unsharded one byte for
/// byte; embeddings and scores agree within 1e-6 (libtorch's kernels are not batch-invariant: docs/scaling.md). It
/// refuses shards of different commands, shard counts or input lists, a shard given twice, a shard missing, and an
/// output whose rows do not match its sidecar — naming the files.
/// </summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "The merged output.", Required = true };
        var shards = new Argument<string[]>("shards")
        {
            Description = "The shard outputs (each with its .shard.json beside it), in any order.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command(
            "merge",
            "Join the outputs of a sharded run (example: prior merge --out embeddings.tsv emb.0.tsv emb.1.tsv emb.2.tsv emb.3.tsv)."
        )
        {
            output,
            shards,
        };
        command.SetAction(parse => CommandRunner.Run("merge", () =>
            {
                var files = parse.GetValue(shards)!;
                var path = Path.GetFullPath(parse.GetValue(output)!);
                var parts = ReadParts(files);
                var sidecar = parts[0].Sidecar;
                if (sidecar.Command == "cache")
                {
                    // The cache is binary: its table and pixels are joined in list order by the cache itself.
                    int stored = ImageCache.Merge(
                        parts.Select(p => (p.File, (IReadOnlyList<int>)p.Sidecar.Positions)).ToList(),
                        sidecar.InputCount,
                        path
                    );
                    Console.WriteLine($"{sidecar.InputCount} images ({stored} stored) of {sidecar.Of} cache shards merged into {path}");
                    return 0;
                }
                var (header, rows) = Merge(parts);
                CompressedText.WriteAtomically(path, w =>
                {
                    foreach (var line in header)
                        w.Write(line + "\n");
                    foreach (var row in rows)
                        w.Write(row + "\n");
                });
                Console.WriteLine(
                    $"{rows.Count} rows of {sidecar.Of} {sidecar.Command} shards ({sidecar.InputCount} inputs) merged into {path}"
                );
                return 0;
            }));
        return command;
    }

    /// <summary>
    /// Reads every shard's record and checks that together they are one whole run: one command, one shard count, one
    /// input list, each shard once.
    /// </summary>
    internal static IReadOnlyList<(string File, Shard.Sidecar Sidecar)> ReadParts(IReadOnlyList<string> files)
    {
        var parts = new List<(string File, Shard.Sidecar Sidecar)>();
        foreach (var file in files)
        {
            if (!File.Exists(file))
                throw new FileNotFoundException($"{file}: the shard output does not exist.", file);
            parts.Add((file, Shard.ReadSidecar(file)));
        }
        var first = parts[0];
        foreach (var (file, s) in parts.Skip(1))
        {
            string? differs =
                s.Command != first.Sidecar.Command ? $"it is a {s.Command} shard, {first.File} a {first.Sidecar.Command} one"
                : s.Of != first.Sidecar.Of ? $"it is one of {s.Of} shards, {first.File} one of {first.Sidecar.Of}"
                : s.Inputs != first.Sidecar.Inputs ? $"it was run on another input list than {first.File}"
                : null;
            if (differs is not null)
                throw new InvalidDataException($"{file}: {differs}; merge the shards of one run.");
        }
        foreach (var group in parts.GroupBy(p => p.Sidecar.Shard).Where(g => g.Count() > 1))
            throw new InvalidDataException(
                $"shard {group.Key} of {first.Sidecar.Of} is given twice: {string.Join(" and ", group.Select(p => p.File))}."
            );
        var missing = Enumerable.Range(0, first.Sidecar.Of).Except(parts.Select(p => p.Sidecar.Shard)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} of {first.Sidecar.Of} "
                    + $"{(missing.Count > 1 ? "are" : "is")} missing; give every shard's output."
            );
        return parts;
    }

    /// <summary>
    /// The merged header lines and rows of text shards, rows in list order. Headers must be alike, except an index's,
    /// whose counts are added up (<see cref="MimicCxrIndex.MergeHeaders"/>).
    /// </summary>
    internal static (IReadOnlyList<string> Header, IReadOnlyList<string> Rows) Merge(
        IReadOnlyList<(string File, Shard.Sidecar Sidecar)> parts
    )
    {
        var headers = new List<(string File, IReadOnlyList<string> Lines)>();
        var rows = new SortedDictionary<int, string>();
        foreach (var (file, s) in parts)
        {
            string text;
            using (var reader = CompressedText.OpenRead(file))
                text = reader.ReadToEnd();
            var lines = text.Split('\n').ToList();
            if (lines[^1].Length == 0)
                lines.RemoveAt(lines.Count - 1);
            if (lines.Count != s.HeaderLines + s.Positions.Length)
                throw new InvalidDataException(
                    $"{file}: {lines.Count - s.HeaderLines} rows, but its {Path.GetFileName(Shard.SidecarPath(file))} lists "
                        + $"{s.Positions.Length}; the output and its record are from different runs."
                );
            headers.Add((file, lines.Take(s.HeaderLines).ToList()));
            for (int k = 0; k < s.Positions.Length; k++)
            {
                int position = s.Positions[k];
                if (position < 0 || position >= s.InputCount)
                    throw new InvalidDataException($"{file}: row {k + 1} has list position {position}, outside the list.");
                if (!rows.TryAdd(position, lines[s.HeaderLines + k]))
                    throw new InvalidDataException($"{file}: list position {position} is also a row of another shard.");
            }
        }
        if (parts[0].Sidecar.Command == "mimic-index")
            return ([MimicCxrIndex.MergeHeaders(headers.Select(h => (h.File, h.Lines[0])).ToList())], rows.Values.ToList());
        var (headerFile, header) = headers[0];
        foreach (var (file, own) in headers.Skip(1))
            if (!header.SequenceEqual(own))
                throw new InvalidDataException($"{file}: its header differs from {headerFile}'s; merge the shards of one run.");
        return (header, rows.Values.ToList());
    }
}
