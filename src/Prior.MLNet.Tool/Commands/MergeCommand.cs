using System.CommandLine;
using Prior.MLNet.IO;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior merge</c>: joins the outputs of a job run in shards (<c>--shard K/N</c> of embed, classify, mimic-index) into
/// the output the unsharded run writes, byte for byte: the shared header once, then every row in the input list's
/// order. It refuses shards of different commands, shard counts or input lists, a shard given twice, a shard missing,
/// and an output whose rows do not match its sidecar — naming the files.
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
                var (header, rows, sidecar) = Merge(files);
                AtomicFile.WriteText(path, w =>
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

    /// <summary>The merged header lines and rows, in list order, with the first shard's record.</summary>
    internal static (IReadOnlyList<string> Header, IReadOnlyList<string> Rows, Shard.Sidecar Sidecar) Merge(IReadOnlyList<string> files)
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
        IReadOnlyList<string>? header = null;
        string? headerFile = null;
        var rows = new SortedDictionary<int, string>();
        foreach (var (file, s) in parts)
        {
            var text = File.ReadAllText(file);
            var lines = text.Split('\n').ToList();
            if (lines[^1].Length == 0)
                lines.RemoveAt(lines.Count - 1);
            if (lines.Count != s.HeaderLines + s.Positions.Length)
                throw new InvalidDataException(
                    $"{file}: {lines.Count - s.HeaderLines} rows, but its {Path.GetFileName(Shard.SidecarPath(file))} lists "
                        + $"{s.Positions.Length}; the output and its record are from different runs."
                );
            var ownHeader = lines.Take(s.HeaderLines).ToList();
            if (header is null)
                (header, headerFile) = (ownHeader, file);
            else if (!header.SequenceEqual(ownHeader))
                throw new InvalidDataException($"{file}: its header differs from {headerFile}'s; merge the shards of one run.");
            for (int k = 0; k < s.Positions.Length; k++)
            {
                int position = s.Positions[k];
                if (position < 0 || position >= s.InputCount)
                    throw new InvalidDataException($"{file}: row {k + 1} has list position {position}, outside the list.");
                if (!rows.TryAdd(position, lines[s.HeaderLines + k]))
                    throw new InvalidDataException($"{file}: list position {position} is also a row of another shard.");
            }
        }
        return (header!, rows.Values.ToList(), first.Sidecar);
    }
}
