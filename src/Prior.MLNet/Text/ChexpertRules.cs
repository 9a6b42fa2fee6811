using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Prior.MLNet.Data;

namespace Prior.MLNet.Text;

/// <summary>
/// The report labeler's rules as data, read from the files under <c>Text/ChexpertRules</c> (embedded in the assembly):
/// per observation the mention and unmention phrases, the "other findings" that keep a report from No Finding, and the
/// three ordered lists of cue patterns. <c>chexpert/</c> holds the CheXpert labeler's own phrase lists unchanged (MIT,
/// see THIRD-PARTY-NOTICES.md) and cue patterns written for this library after its rules; <c>extended/</c> holds this
/// library's additions, read on top of them for <see cref="ReportLabelConventions.Extended"/>.
/// </summary>
internal sealed class ChexpertRules
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Compiled;
    private static readonly ConcurrentDictionary<ReportLabelConventions, ChexpertRules> Loaded = new();

    /// <summary>The name CheXpert gives the "other findings" list (its <c>no_finding.txt</c> mentions).</summary>
    public const string OtherFindings = "No Finding";

    private ChexpertRules(ReportLabelConventions conventions)
    {
        Conventions = conventions;
        var sets = conventions == ReportLabelConventions.Extended ? new[] { "chexpert", "extended" } : ["chexpert"];
        var mentions = new List<(string, Regex)>();
        var unmentions = new Dictionary<string, List<Regex>>(StringComparer.Ordinal);
        foreach (var set in sets)
        {
            foreach (var observation in ChexpertLabels.Names)
            {
                var file = observation.ToLowerInvariant().Replace(' ', '_') + ".txt";
                foreach (var phrase in Lines($"{set}/mention/{file}", set == "chexpert"))
                    mentions.Add((observation, new Regex(phrase, Options)));
                foreach (var phrase in Lines($"{set}/unmention/{file}", set == "chexpert"))
                    Unmentions(unmentions, observation).Add(new Regex(phrase, Options));
            }
        }
        AddPositionalUnmentions(unmentions);
        Mentions = mentions;
        UnmentionsByObservation = unmentions.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Regex>)kv.Value);
        PreNegationUncertainty = Patterns(sets, "pre_negation_uncertainty.txt");
        Negation = Patterns(sets, "negation.txt");
        PostNegationUncertainty = Patterns(sets, "post_negation_uncertainty.txt");
    }

    /// <summary>The rules of <paramref name="conventions"/>, read once.</summary>
    public static ChexpertRules For(ReportLabelConventions conventions) =>
        Enum.IsDefined(conventions)
            ? Loaded.GetOrAdd(conventions, c => new ChexpertRules(c))
            : throw new ArgumentOutOfRangeException(nameof(conventions), conventions, "Not a report labelling convention.");

    /// <summary>Whose rules these are.</summary>
    public ReportLabelConventions Conventions { get; }

    /// <summary>Every mention phrase with its observation (No Finding's are the "other findings").</summary>
    public IReadOnlyList<(string Observation, Regex Phrase)> Mentions { get; }

    /// <summary>Per observation, phrases that cancel a mention they overlap.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Regex>> UnmentionsByObservation { get; }

    /// <summary>Cue patterns over a clause with its mention between « and », in the order the labeler tries them.</summary>
    public IReadOnlyList<Regex> PreNegationUncertainty { get; }

    /// <inheritdoc cref="PreNegationUncertainty"/>
    public IReadOnlyList<Regex> Negation { get; }

    /// <inheritdoc cref="PreNegationUncertainty"/>
    public IReadOnlyList<Regex> PostNegationUncertainty { get; }

    // CheXpert's own addition to its unmention lists: a position word before a heart or mediastinum mention ("over the
    // heart", "in the left heart") says where something lies, not what the heart is. Built as its labeler builds it.
    private static void AddPositionalUnmentions(Dictionary<string, List<Regex>> unmentions)
    {
        var positions = new[] { "over the", "overly the", "in the" }
            .SelectMany(e1 => new[] { "", " superior", " left", " right" }.Select(e2 => e1 + e2))
            .ToList();
        var cardiomegaly = Lines("chexpert/mention/cardiomegaly.txt", true)
            .Where(m => m is not ("cardiomegaly" or "cardiac enlargement"))
            .ToList();
        foreach (var position in positions)
        {
            foreach (var mention in cardiomegaly)
                Unmentions(unmentions, "Cardiomegaly").Add(new Regex(position + " " + mention.Replace("the ", ""), Options));
            foreach (var mention in Lines("chexpert/mention/enlarged_cardiomediastinum.txt", true))
                Unmentions(unmentions, "Enlarged Cardiomediastinum").Add(new Regex(position + " " + mention, Options));
        }
    }

    private static List<Regex> Unmentions(Dictionary<string, List<Regex>> unmentions, string observation) =>
        unmentions.TryGetValue(observation, out var list) ? list : unmentions[observation] = [];

    private static List<Regex> Patterns(IEnumerable<string> sets, string file) =>
        sets.SelectMany(set => Lines($"{set}/patterns/{file}", chexpertPhrases: false))
            .Select(p => new Regex(p, Options | RegexOptions.IgnoreCase))
            .ToList();

    // A rules file's lines: blank lines and # comments skipped. CheXpert's phrase files write a space that must be kept at
    // a phrase's edge as "_" ("_line_" is " line "), as its labeler reads them.
    private static IEnumerable<string> Lines(string name, bool chexpertPhrases)
    {
        // The resource names carry the build machine's folder separator.
        var assembly = typeof(ChexpertRules).Assembly;
        var resource = assembly
            .GetManifestResourceNames()
            .FirstOrDefault(r => r.Replace('\\', '/') == "Prior.MLNet.Text.ChexpertRules/" + name);
        if (resource is null)
            yield break;
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                continue;
            yield return chexpertPhrases ? trimmed.Replace('_', ' ') : trimmed;
        }
    }
}
