using System.CommandLine;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tool.Commands;

/// <summary>Reads the input lists of <c>embed</c> and <c>classify</c> and decodes their images, naming every input that fails.</summary>
internal static class InputList
{
    /// <summary>The non-empty lines of a list file.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the input list does not exist.", path);
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
            throw new InvalidDataException($"{path}: the input list is empty.");
        return lines;
    }

    /// <summary>The <c>--skip-unreadable</c> option every command that reads images takes.</summary>
    public static Option<bool> SkipUnreadableOption() =>
        new("--skip-unreadable")
        {
            Description = "Skip images that cannot be read (listed with the reason at the end) instead of stopping at the first one.",
        };

    /// <summary>The <c>--frame</c> option of the commands that read images: which frame of a multi-frame DICOM to read.</summary>
    public static Option<int> FrameOption() =>
        new("--frame")
        {
            Description = "Which frame of a multi-frame DICOM to read, counted from 1; 0 refuses multi-frame files.",
            DefaultValueFactory = _ => 1,
        };

    /// <summary>The read options for the value of <see cref="FrameOption"/>, checked.</summary>
    public static Data.Images.ImageReadOptions ReadOptions(int frame) =>
        frame < 0
            ? throw new ArgumentException($"--frame counts from 1 (0 refuses multi-frame files); not {frame}.")
            : new Data.Images.ImageReadOptions { Frame = frame };

    /// <summary>
    /// Preprocessed pixels per readable image (null for the others), and the unreadable ones with their reason. Without
    /// <paramref name="skip"/> the first unreadable image stops the command with one line naming its row (counted from
    /// <paramref name="firstRow"/>, the 0-based position of <paramref name="paths"/>' first one in the whole list) and file.
    /// </summary>
    private static (float[]?[] Pixels, List<string> Failures) DecodeAll(
        IReadOnlyList<string> paths,
        ImagePreprocessor preprocessor,
        bool skip,
        int firstRow,
        Data.Images.ImageReadOptions? read
    )
    {
        var (pixels, reasons) = preprocessor.LoadAll(paths, read);
        if (!skip && Array.FindIndex(reasons, r => r is not null) is var first and >= 0)
            throw new InvalidDataException($"row {firstRow + first + 1}: {reasons[first]} (pass --skip-unreadable to skip such images)");
        return (pixels, reasons.Where(r => r is not null).Select(r => r!).ToList());
    }

    /// <summary>
    /// Decodes and maps images a batch at a time, so that memory does not grow with the list (100,000 images at 224 px
    /// would be 20 GB at once): <paramref name="map"/> gets each batch's readable pixels and returns one result each.
    /// Returns the list positions of the readable images, their results in the same order, and the skipped ones.
    /// Progress (a bar on a terminal, a line per tenth otherwise) is labelled <paramref name="what"/>.
    /// </summary>
    public static (List<int> Readable, List<TResult> Results, List<string> Failures) MapInBatches<TResult>(
        IReadOnlyList<string> paths,
        ImagePreprocessor preprocessor,
        bool skip,
        int batchSize,
        Func<IReadOnlyList<float[]>, IReadOnlyList<TResult>> map,
        string what = "images",
        Data.Images.ImageReadOptions? read = null
    ) => MapInBatches(paths, preprocessor, skip, batchSize, (_, pixels) => map(pixels), what, read);

    /// <summary>
    /// As above, with each batch's list positions given to <paramref name="map"/> beside its pixels, for callers that
    /// write each result out as it comes (and return something small) instead of holding every result.
    /// </summary>
    public static (List<int> Readable, List<TResult> Results, List<string> Failures) MapInBatches<TResult>(
        IReadOnlyList<string> paths,
        ImagePreprocessor preprocessor,
        bool skip,
        int batchSize,
        Func<IReadOnlyList<int>, IReadOnlyList<float[]>, IReadOnlyList<TResult>> map,
        string what = "images",
        Data.Images.ImageReadOptions? read = null
    ) => LiveProgress.Run(what, "images", paths.Count, live => MapInBatches(paths, preprocessor, skip, batchSize, map, live, read));

    private static (List<int> Readable, List<TResult> Results, List<string> Failures) MapInBatches<TResult>(
        IReadOnlyList<string> paths,
        ImagePreprocessor preprocessor,
        bool skip,
        int batchSize,
        Func<IReadOnlyList<int>, IReadOnlyList<float[]>, IReadOnlyList<TResult>> map,
        LiveProgress live,
        Data.Images.ImageReadOptions? read
    )
    {
        var readable = new List<int>();
        var results = new List<TResult>();
        var failures = new List<string>();
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            var chunk = paths.Skip(start).Take(batchSize).ToList();
            var (pixels, failed) = DecodeAll(chunk, preprocessor, skip, start, read);
            failures.AddRange(failed);
            var ok = Enumerable.Range(0, chunk.Count).Where(i => pixels[i] is not null).ToList();
            if (ok.Count == 0)
            {
                live.Report(start + chunk.Count);
                continue;
            }
            var positions = ok.Select(i => start + i).ToList();
            readable.AddRange(positions);
            results.AddRange(map(positions, ok.Select(i => pixels[i]!).ToList()));
            live.Report(start + chunk.Count);
        }
        RequireSome(readable.Count, failures, "image");
        return (readable, results, failures);
    }

    /// <summary>
    /// Stops the command (one line, exit 2, nothing written) when every input was skipped: an output of headers alone
    /// would look like a result.
    /// </summary>
    public static void RequireSome(int usable, IReadOnlyList<string> failures, string what)
    {
        if (usable == 0 && failures.Count > 0)
            throw new InvalidDataException(
                $"no {what} of the {failures.Count} inputs could be used, so nothing is written (the first: {failures[0]})"
            );
    }

    /// <summary>Prints the skipped inputs, one line each.</summary>
    public static void ReportFailures(IReadOnlyList<string> failures, int total)
    {
        if (failures.Count == 0)
            return;
        Console.WriteLine($"skipped {failures.Count} of {total} inputs:");
        foreach (var failure in failures)
            Console.WriteLine("  " + failure);
    }
}
