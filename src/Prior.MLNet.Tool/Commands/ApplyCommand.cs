using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior apply</c>: loads an ML.NET model zip (e.g. a saved pipeline with PRIOR transformers) with
/// <c>mlContext.Model.Load</c> and writes its outputs for a list of images as a tab-separated file.
/// </summary>
internal static class ApplyCommand
{
    private sealed class Input
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    // Every PRIOR transformer of the loaded chain, switched to skipping unreadable images.
    private static ITransformer WithSkipping(ITransformer transformer) =>
        transformer switch
        {
            PriorMappingTransformer prior => prior.WithUnreadableImages(UnreadableImageHandling.Skip),
            TransformerChain<ITransformer> chain => new TransformerChain<ITransformer>(chain.Select(WithSkipping).ToArray()),
            _ => transformer,
        };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "An ML.NET model zip.", Required = true };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var output = new Option<string>("--out")
        {
            Description = "Tab-separated output: the path, then every numeric and text output column's values (vectors space-separated).",
            Required = true,
        };
        var skip = InputList.SkipUnreadableOption();
        var command = new Command(
            "apply",
            "Apply a saved ML.NET model (with PRIOR transformers) to images (example: prior apply --model pipeline.zip --images "
                + "images.txt --out scores.csv)."
        )
        {
            model,
            images,
            output,
            skip,
        };
        command.SetAction(parse => CommandRunner.Run("apply", () =>
            {
                var ml = new MLContext(seed: 1);
                var transformer = ml.Model.Load(parse.GetValue(model)!, out _);
                bool skipping = parse.GetValue(skip);
                if (skipping)
                    transformer = WithSkipping(transformer);
                var paths = InputList.Read(parse.GetValue(images)!).Select(p => new Input { ImagePath = p }).ToList();
                var data = ml.Data.LoadFromEnumerable(paths);
                var scored = transformer.Transform(data);
                var columns = scored
                    .Schema.Where(c =>
                        !c.IsHidden
                        && c.Index >= data.Schema.Count
                        && (
                            c.Type is VectorDataViewType { ItemType: NumberDataViewType }
                            || c.Type == NumberDataViewType.Single
                            || c.Type is KeyDataViewType
                            || (c.Type is TextDataViewType && c.Name != Defaults.ImageErrorColumnName)
                        )
                    )
                    .ToList();
                var values = columns
                    .Select(c =>
                        c.Type switch
                        {
                            VectorDataViewType => scored
                                .GetColumn<float[]>(c.Name)
                                .Select(v => string.Join(' ', v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))))
                                .ToList(),
                            KeyDataViewType => scored
                                .GetColumn<uint>(c.Name)
                                .Select(v => v.ToString(CultureInfo.InvariantCulture))
                                .ToList(),
                            TextDataViewType => scored
                                .GetColumn<string>(c.Name)
                                .Select(v => v.Replace('\t', ' ').Replace('\n', ' '))
                                .ToList(),
                            _ => scored.GetColumn<float>(c.Name).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToList(),
                        }
                    )
                    .ToList();
                var errors =
                    skipping && scored.Schema.GetColumnOrNull(Defaults.ImageErrorColumnName) is { } errorColumn
                        ? scored.GetColumn<string>(errorColumn.Name).Where(e => e.Length > 0).ToList()
                        : [];
                InputList.RequireSome(paths.Count - errors.Count, errors, "image");
                AtomicFile.WriteText(parse.GetValue(output)!, w =>
                {
                    w.Write("ImagePath\t" + string.Join('\t', columns.Select(c => c.Name)) + "\n");
                    for (int i = 0; i < paths.Count; i++)
                        w.Write(paths[i].ImagePath + "\t" + string.Join('\t', values.Select(v => v[i])) + "\n");
                });
                Console.WriteLine($"{paths.Count} rows, columns {string.Join(", ", columns.Select(c => c.Name))}");
                if (errors.Count > 0)
                {
                    Console.WriteLine($"rows with unreadable images (missing values written): {errors.Count}");
                    InputList.ReportFailures(errors, paths.Count);
                }
                return 0;
            }));
        return command;
    }
}
