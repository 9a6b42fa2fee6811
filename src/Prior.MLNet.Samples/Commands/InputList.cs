using System.CommandLine;
using Prior.MLNet.Training;

namespace Prior.MLNet.Samples.Commands;

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
    public static Option<bool> SkipUnreadableOption() => new("--skip-unreadable")
    {
        Description = "Skip images that cannot be read (listed with the reason at the end) instead of stopping at the first one.",
    };

    /// <summary>
    /// Preprocessed pixels per readable image (null for the others), and the unreadable ones with their reason. Without
    /// <paramref name="skip"/> the first unreadable image stops the command with one line naming its row and file.
    /// </summary>
    public static (float[]?[] Pixels, List<string> Failures) DecodeAll(IReadOnlyList<string> paths, ImagePreprocessor preprocessor, bool skip)
    {
        var (pixels, reasons) = preprocessor.LoadAll(paths);
        if (!skip && Array.FindIndex(reasons, r => r is not null) is var first and >= 0)
            throw new InvalidDataException($"row {first + 1}: {reasons[first]} (pass --skip-unreadable to skip such images)");
        return (pixels, reasons.Where(r => r is not null).Select(r => r!).ToList());
    }

    /// <summary>Prints the skipped inputs, one line each.</summary>
    public static void ReportFailures(IReadOnlyList<string> failures, int total)
    {
        if (failures.Count == 0) return;
        Console.WriteLine($"skipped {failures.Count} of {total} inputs:");
        foreach (var failure in failures)
            Console.WriteLine("  " + failure);
    }
}
