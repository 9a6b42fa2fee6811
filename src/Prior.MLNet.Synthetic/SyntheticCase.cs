using Prior.MLNet.Data;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// What one synthetic study shows: its findings (drawn and described), the findings the report explicitly
/// negates, and the CheXpert labels that follow from both. Labels are derived here, in one place, from the same
/// facts the drawing and the text use, so they always agree with the report.
/// </summary>
internal sealed class SyntheticCase
{
    private static readonly FindingKind[] Negatable =
    [
        FindingKind.Cardiomegaly,
        FindingKind.PleuralEffusion,
        FindingKind.Consolidation,
        FindingKind.Edema,
        FindingKind.Pneumothorax,
        FindingKind.Atelectasis,
    ];

    /// <summary>The positive or uncertain findings.</summary>
    public required IReadOnlyList<SyntheticFinding> Findings { get; init; }

    /// <summary>Findings the report says are absent.</summary>
    public required IReadOnlyList<FindingKind> Negated { get; init; }

    /// <summary>Whether the report states there is no fracture (labels Fracture 0).</summary>
    public required bool NegatesFracture { get; init; }

    /// <summary>Patient-specific anatomy seeds (0..1), for the renderer.</summary>
    public required double[] Anatomy { get; init; }

    /// <summary>The finding of a kind, or null.</summary>
    public SyntheticFinding? Find(FindingKind kind) => Findings.FirstOrDefault(f => f.Kind == kind);

    /// <summary>
    /// Samples a case. With <paramref name="primary"/> the case is built around that finding with few others
    /// (CheXpert-style single-label cases); otherwise findings co-occur as in an inpatient population.
    /// </summary>
    /// <param name="random">The study's generator.</param>
    /// <param name="primary">The finding to build the case around, or null.</param>
    /// <param name="normal">True for a case with no finding at all (ignored when <paramref name="primary"/> is set).</param>
    public static SyntheticCase Sample(DeterministicRandom random, FindingKind? primary = null, bool normal = false)
    {
        var present = new List<SyntheticFinding>();
        bool Has(FindingKind k) => present.Any(f => f.Kind == k);

        if (primary is { } p)
        {
            present.Add(Make(random, p, uncertain: false));
            foreach (var extra in new[] { FindingKind.SupportDevices, FindingKind.LungLesion, FindingKind.Pneumothorax })
            {
                if (extra != p && random.Chance(0.08))
                    present.Add(Make(random, extra, uncertain: false));
            }
        }
        else if (!normal && !random.Chance(0.22))
        {
            // Correlated inpatient findings: heart failure brings edema and effusions together.
            bool heartFailure = random.Chance(0.25);
            double pc = heartFailure ? 0.75 : 0.2,
                pe = heartFailure ? 0.7 : 0.12,
                pf = heartFailure ? 0.65 : 0.2;
            TryAdd(present, random, FindingKind.Cardiomegaly, pc);
            TryAdd(present, random, FindingKind.Edema, pe);
            TryAdd(present, random, FindingKind.PleuralEffusion, pf);
            TryAdd(present, random, FindingKind.Atelectasis, 0.22);
            TryAdd(present, random, FindingKind.Consolidation, 0.2);
            TryAdd(present, random, FindingKind.Pneumothorax, 0.07);
            TryAdd(present, random, FindingKind.LungLesion, 0.06);
            TryAdd(present, random, FindingKind.SupportDevices, 0.2);
        }

        var negated = new List<FindingKind>();
        foreach (var kind in Negatable)
        {
            if (!Has(kind) && random.Chance(kind is FindingKind.Pneumothorax or FindingKind.PleuralEffusion ? 0.75 : 0.45))
                negated.Add(kind);
        }
        var anatomy = Enumerable.Range(0, 16).Select(_ => random.NextDouble()).ToArray();
        return new SyntheticCase
        {
            Findings = present,
            Negated = negated,
            NegatesFracture = random.Chance(0.25),
            Anatomy = anatomy,
        };
    }

    private static void TryAdd(List<SyntheticFinding> present, DeterministicRandom random, FindingKind kind, double p)
    {
        if (random.Chance(p))
            present.Add(Make(random, kind, uncertain: kind != FindingKind.SupportDevices && random.Chance(0.15)));
    }

    private static SyntheticFinding Make(DeterministicRandom random, FindingKind kind, bool uncertain)
    {
        var side = kind switch
        {
            FindingKind.PleuralEffusion => random.Pick(new[] { BodySide.Right, BodySide.Left, BodySide.Bilateral, BodySide.Bilateral }),
            FindingKind.Atelectasis => random.Pick(new[] { BodySide.Right, BodySide.Left, BodySide.Bilateral }),
            FindingKind.Edema => BodySide.Bilateral,
            _ => random.Chance(0.5) ? BodySide.Right : BodySide.Left,
        };
        var zone = kind switch
        {
            FindingKind.Atelectasis => random.Chance(0.8) ? LungZone.Lower : LungZone.Middle,
            FindingKind.Consolidation or FindingKind.LungLesion => random.Pick(new[] { LungZone.Upper, LungZone.Middle, LungZone.Lower }),
            FindingKind.Pneumothorax => LungZone.Upper,
            _ => LungZone.Lower,
        };
        var devices = DeviceKinds.None;
        if (kind == FindingKind.SupportDevices)
        {
            while (devices == DeviceKinds.None)
            {
                if (random.Chance(0.5))
                    devices |= DeviceKinds.EndotrachealTube;
                if (random.Chance(0.45))
                    devices |= DeviceKinds.NasogastricTube;
                if (random.Chance(0.5))
                    devices |= DeviceKinds.CentralLine;
            }
        }
        // Uncertain findings are subtle: the report hedges because the picture is faint.
        double severity = uncertain ? random.Uniform(0.0, 0.3) : random.Uniform(0.05, 1.0);
        var jitter = Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray();
        return new SyntheticFinding(kind, uncertain, side, zone, severity, devices, jitter);
    }

    /// <summary>
    /// The 14 CheXpert labels in <see cref="ChexpertLabels.Names"/> order: 1, 0, -1, or NaN for not mentioned.
    /// </summary>
    public float[] Labels()
    {
        var labels = Enumerable.Repeat(float.NaN, ChexpertLabels.Count).ToArray();
        void Set(string name, float value) => labels[ChexpertLabels.IndexOf(name)] = value;
        static float Value(SyntheticFinding f) => f.Uncertain ? ChexpertLabels.Uncertain : ChexpertLabels.Positive;

        foreach (var kind in Negated)
            Set(LabelName(kind), ChexpertLabels.Negative);
        foreach (var f in Findings)
            Set(LabelName(f.Kind), Value(f));

        // Consolidation described as possibly infectious is an uncertain pneumonia; a negated one rules it out.
        if (Find(FindingKind.Consolidation) is not null)
            Set("Pneumonia", ChexpertLabels.Uncertain); // "may represent pneumonia" in every phrasing
        else if (Negated.Contains(FindingKind.Consolidation))
            Set("Pneumonia", ChexpertLabels.Negative);

        // Opacity words are used for atelectasis, consolidation, edema and lesions.
        var opacities = Findings
            .Where(f => f.Kind is FindingKind.Atelectasis or FindingKind.Consolidation or FindingKind.Edema or FindingKind.LungLesion)
            .ToList();
        if (opacities.Count > 0)
            Set("Lung Opacity", opacities.Any(f => !f.Uncertain) ? ChexpertLabels.Positive : ChexpertLabels.Uncertain);

        if (Negated.Contains(FindingKind.Cardiomegaly))
            Set("Enlarged Cardiomediastinum", ChexpertLabels.Negative);
        if (NegatesFracture)
            Set("Fracture", ChexpertLabels.Negative);
        if (Findings.All(f => f.Kind == FindingKind.SupportDevices))
            Set("No Finding", ChexpertLabels.Positive);
        return labels;
    }

    /// <summary>The CheXpert observation a finding kind is labelled as.</summary>
    public static string LabelName(FindingKind kind) =>
        kind switch
        {
            FindingKind.Cardiomegaly => "Cardiomegaly",
            FindingKind.PleuralEffusion => "Pleural Effusion",
            FindingKind.Atelectasis => "Atelectasis",
            FindingKind.Consolidation => "Consolidation",
            FindingKind.Edema => "Edema",
            FindingKind.Pneumothorax => "Pneumothorax",
            FindingKind.SupportDevices => "Support Devices",
            FindingKind.LungLesion => "Lung Lesion",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
}
