using System.CommandLine;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tool.Commands;

/// <summary>Which CheXpert labels a probe or classifier is scored on.</summary>
internal enum CheXpertLabelSet
{
    /// <summary>The five competition labels (Atelectasis, Cardiomegaly, Consolidation, Edema, Pleural Effusion): the papers'.</summary>
    Competition,

    /// <summary>All 14 observations.</summary>
    All,
}

/// <summary>
/// The CheXpert evaluation protocol of <c>linear-probe</c> and <c>finetune-classify</c>, stated on the command line and
/// recorded in their JSON: the label policy (blank and uncertain labels), the split, and the labels scored.
/// </summary>
internal sealed class CheXpertProtocolOptions
{
    public Option<BlankLabelPolicy> Blank { get; } =
        EnumOption.Create(
            "--blank",
            "What a blank (unmentioned) label counts as: negative, as GLoRIA, MGCA, PRIOR and BenchX score, or ignore (left out of "
                + "that label)",
            CheXpertLabelPolicy.Published.Blank
        );

    public Option<UncertaintyPolicy> Uncertain { get; } =
        EnumOption.Create(
            "--uncertain",
            "What an uncertain (-1) label counts as: zeros (U-Zeros, the papers'), ones (U-Ones) or ignore (U-Ignore)",
            CheXpertLabelPolicy.Published.Uncertain,
            excluded: [UncertaintyPolicy.Keep] // a -1 is not a binary label to score
        );

    public Option<CheXpertSplit> Split { get; } =
        EnumOption.Create(
            "--split",
            "official: train.csv trains, valid.csv tests. published: GLoRIA's (MGCA, BenchX): valid.csv tests; train.csv less the "
                + "zero-shot 5x200 images and 5,000 random validation images trains",
            CheXpertSplit.Official
        );

    public Option<string?> SplitFile { get; } =
        new("--split-file")
        {
            Description =
                "With --split published: the split's CSV (Path,Split). Read when it exists, so a run repeats on the same images; "
                + "written otherwise. Default chexpert-published-split-SEED.csv in the current folder.",
        };

    public Option<long> SplitSeed { get; } =
        new("--split-seed") { Description = "Seed of the published split's validation draw.", DefaultValueFactory = _ => Defaults.Seed };

    public Option<CheXpertLabelSet> Labels { get; } =
        EnumOption.Create("--labels", "The labels scored: competition (the five) or all (the 14)", CheXpertLabelSet.Competition);

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Blank, Uncertain, Split, SplitFile, SplitSeed, Labels })
            command.Options.Add(option);
    }

    /// <summary>The protocol the command line asks for, checked.</summary>
    public CheXpertProtocol Of(ParseResult parse)
    {
        var policy = new CheXpertLabelPolicy(parse.GetValue(Blank), parse.GetValue(Uncertain));
        policy.Validate();
        var split = parse.GetValue(Split);
        long seed = parse.GetValue(SplitSeed);
        var file = parse.GetValue(SplitFile);
        if (file is not null && split != CheXpertSplit.Published)
            throw new ArgumentException("--split-file goes with --split published.");
        return new CheXpertProtocol(
            policy,
            split,
            parse.GetValue(Labels) == CheXpertLabelSet.All ? ChexpertLabels.Names : ChexpertLabels.CompetitionFive,
            seed,
            split == CheXpertSplit.Published ? Path.GetFullPath(file ?? $"chexpert-published-split-{seed}.csv") : null
        );
    }
}

/// <summary>A CheXpert evaluation protocol: label policy, split (with its seed and file), and the labels scored.</summary>
internal sealed record CheXpertProtocol(
    CheXpertLabelPolicy Policy,
    CheXpertSplit Split,
    IReadOnlyList<string> Labels,
    long SplitSeed = Defaults.Seed,
    string? SplitFile = null
)
{
    /// <summary>The papers' protocol on the dataset's own two files, over the five competition labels.</summary>
    public static CheXpertProtocol Default { get; } =
        new(CheXpertLabelPolicy.Published, CheXpertSplit.Official, ChexpertLabels.CompetitionFive);

    /// <summary>The split's name for reports and JSON.</summary>
    public string SplitName => Split == CheXpertSplit.Official ? "official" : "published";
}
