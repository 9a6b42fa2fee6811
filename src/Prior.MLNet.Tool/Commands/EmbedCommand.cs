using System.CommandLine;
using System.Globalization;
using Prior.MLNet.IO;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior embed</c>: normalised image or report embeddings for a list of inputs, one row each (the input, then the
/// vector: Input, Embedding.0 … Embedding.D-1, tab-separated, values round-tripping). Unreadable inputs are named with
/// the reason; the others are written.
/// </summary>
internal static class EmbedCommand
{
    private sealed class Row
    {
        public string Input { get; set; } = string.Empty;
        public float[] Embedding { get; set; } = [];
    }

    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model file (from pretrain or import) or an ML.NET zip with PRIOR transformers.",
            Required = true,
        };
        var images = new Option<string?>("--images") { Description = "A text file with one image path per line." };
        var reports = new Option<string?>("--reports")
        {
            Description = "A text file with one report per line: a report .txt path, or the report's text.",
        };
        var output = new Option<string>("--out")
        {
            Description = "Tab-separated output with a header: Input, then Embedding.0 .. Embedding.D-1.",
            Required = true,
        };
        var batch = new Option<int>("--batch-size")
        {
            Description = "Inputs per network call.",
            DefaultValueFactory = _ => Defaults.InferenceBatchSize,
        };
        var skip = InputList.SkipUnreadableOption();
        var frame = InputList.FrameOption();
        var shardOption = Shard.CreateOption();
        var command = new Command(
            "embed",
            "Embed images or reports with a PRIOR model (example: prior embed --model prior.zip --images images.txt --out embeddings.csv)."
        )
        {
            model,
            images,
            reports,
            output,
            batch,
            skip,
            frame,
            shardOption,
        };
        command.SetAction(parse => CommandRunner.Run("embed", () =>
            {
                if ((parse.GetValue(images) is null) == (parse.GetValue(reports) is null))
                    throw new ArgumentException("Give exactly one of --images and --reports.");
                int batchSize = parse.GetValue(batch);
                if (batchSize < 1)
                    throw new ArgumentException($"--batch-size must be at least 1, not {batchSize}.");
                var shard = Shard.Parse(parse.GetValue(shardOption));
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var rows = new List<Row>();
                var positions = new List<int>();
                IReadOnlyList<string> inputs;
                var failures = new List<string>();
                int total;
                if (parse.GetValue(images) is { } imageList)
                {
                    inputs = InputList.Read(imageList);
                    // A shard embeds its part of the list only; positions below are in the whole list.
                    var mine = shard?.Select(inputs) ?? Enumerable.Range(0, inputs.Count).ToList();
                    var paths = mine.Select(i => inputs[i]).ToList();
                    total = paths.Count;
                    var preprocessor = network.ImagePreprocessor;
                    var (readable, vectors, failed) = InputList.MapInBatches(
                        paths,
                        preprocessor,
                        parse.GetValue(skip),
                        batchSize,
                        pixels => network.EmbedImages(pixels, local: false).Global,
                        "embed",
                        read: InputList.ReadOptions(parse.GetValue(frame))
                    );
                    failures.AddRange(failed);
                    rows.AddRange(readable.Select((i, k) => new Row { Input = paths[i], Embedding = vectors[k] }));
                    positions.AddRange(readable.Select(i => mine[i]));
                }
                else
                {
                    inputs = InputList.Read(parse.GetValue(reports)!);
                    var mine = shard?.Select(inputs) ?? Enumerable.Range(0, inputs.Count).ToList();
                    total = mine.Count;
                    var texts = new List<(string Input, IReadOnlyList<string> Sentences)>();
                    foreach (int i in mine)
                    {
                        var line = inputs[i];
                        string text = File.Exists(line) ? File.ReadAllText(line) : line;
                        var sentences = PriorNetwork.Sentences(text);
                        if (sentences.Count == 0)
                            failures.Add($"{line}: no sentence to embed");
                        else
                        {
                            texts.Add((line, sentences));
                            positions.Add(i);
                        }
                    }
                    InputList.RequireSome(texts.Count, failures, "report");
                    foreach (var chunk in texts.Chunk(batchSize))
                    {
                        var vectors = network.EmbedReports(chunk.Select(c => c.Sentences).ToList());
                        rows.AddRange(chunk.Select((c, k) => new Row { Input = c.Input, Embedding = vectors[k] }));
                    }
                }
                // A plain TSV with a named column per dimension (ML.NET's text saver would write its own sparse-vector
                // header, "Input 64 0:\"\"", which other tools cannot read).
                var path = Path.GetFullPath(parse.GetValue(output)!);
                AtomicFile.WriteText(path, w =>
                {
                    w.Write("Input");
                    for (int d = 0; d < network.EmbeddingDim; d++)
                        w.Write(string.Create(CultureInfo.InvariantCulture, $"\tEmbedding.{d}"));
                    w.Write('\n');
                    foreach (var row in rows)
                    {
                        w.Write(row.Input.Replace('\t', ' ').Replace('\n', ' '));
                        foreach (var value in row.Embedding)
                            w.Write("\t" + value.ToString("R", CultureInfo.InvariantCulture));
                        w.Write('\n');
                    }
                });
                shard?.WriteSidecar(path, "embed", inputs, headerLines: 1, positions);
                InputList.ReportFailures(failures, total);
                Console.WriteLine(
                    $"{rows.Count} embeddings of {network.EmbeddingDim} written to {path}"
                        + (shard is null ? "" : $" (shard {shard.Index} of {shard.Count}: {total} of {inputs.Count} inputs)")
                );
                return 0;
            }));
        return command;
    }
}
