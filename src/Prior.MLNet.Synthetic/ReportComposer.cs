using System.Globalization;
using System.Text;
using Prior.MLNet.Data;

namespace Prior.MLNet.Synthetic;

/// <summary>How a synthetic report is laid out.</summary>
internal enum ReportStyle
{
    /// <summary>FINDINGS and IMPRESSION, the usual case.</summary>
    Standard,

    /// <summary>No FINDINGS section: a longer, numbered IMPRESSION carries everything.</summary>
    ImpressionOnly,

    /// <summary>Defect: only EXAMINATION, INDICATION, TECHNIQUE and COMPARISON (no usable section).</summary>
    NoUsableSection,

    /// <summary>Defect: an IMPRESSION of one to three sentences and nothing else (too few sentences).</summary>
    TooShort,
}

/// <summary>A composed report and the sentences it was built from, in order.</summary>
/// <param name="Text">The report file's text, in the MIMIC-CXR layout.</param>
/// <param name="FindingsSentences">The sentences written under FINDINGS.</param>
/// <param name="ImpressionSentences">The sentences written under IMPRESSION.</param>
internal sealed record ComposedReport(string Text, IReadOnlyList<string> FindingsSentences, IReadOnlyList<string> ImpressionSentences)
{
    /// <summary>What each sentence composed for the report states (sentences not written, e.g. of a defective report, included).</summary>
    public IReadOnlyDictionary<string, SyntheticSentenceType> SentenceTypes { get; init; } =
        new Dictionary<string, SyntheticSentenceType>();
}

/// <summary>
/// Writes a MIMIC-CXR-style free-text report for a <see cref="SyntheticCase"/>: each drawn finding is described
/// with varied phrasing and the laterality and zone it was drawn at, absent findings are negated explicitly,
/// uncertain ones are hedged. Sections are wrapped at 76 columns with a leading space, as MIMIC's are; some
/// impressions are numbered, some reports carry an addendum or a notification to a doctor.
/// </summary>
internal static class ReportComposer
{
    /// <summary>Composes the report of a study.</summary>
    public static ComposedReport Compose(SyntheticCase synthetic, SyntheticView frontalView, ReportStyle style, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(synthetic);
        var findings = new List<string>();
        var impression = new List<string>();
        var types = new Dictionary<string, SyntheticSentenceType>(StringComparer.Ordinal);
        bool portable = frontalView == SyntheticView.AP;

        foreach (var f in Order(synthetic.Findings))
        {
            var lines = Describe(f, random).Split('\n');
            findings.AddRange(lines);
            foreach (var line in lines)
                types[line] = TypeOf(f, line);
        }
        foreach (var (sentence, type) in Negations(synthetic, random))
        {
            findings.Add(sentence);
            types[sentence] = type;
        }
        if (synthetic.NegatesFracture)
        {
            findings.Add(random.Pick(["No acute fracture is identified.", "There is no displaced rib fracture."]));
            types[findings[^1]] = new("Fracture", "negative", "-", "-");
        }
        var fillers = new List<string>
        {
            "The mediastinal and hilar contours are unremarkable.",
            "The osseous structures are grossly intact.",
            "The visualized upper abdomen is unremarkable.",
            portable ? "Single portable AP view of the chest was obtained." : "PA and lateral views of the chest were obtained.",
        };
        string[] fillerSubjects = ["mediastinum", "bones", "abdomen", "technique"];
        for (int i = 0; i < fillers.Count; i++)
            types[fillers[i]] = new("Normal", "-", "-", fillerSubjects[i]);
        random.Shuffle(fillers);
        int fillerCount = Math.Max(1, 3 - findings.Count) + random.Next(2);
        findings.AddRange(fillers.Take(fillerCount));

        foreach (var f in Order(synthetic.Findings))
        {
            impression.Add(Summarize(f, random));
            types[impression[^1]] = TypeOf(f, impression[^1], summary: true);
        }
        if (impression.Count == 0)
        {
            impression.Add(
                random.Pick([
                    "No acute cardiopulmonary process.",
                    "No acute intrathoracic abnormality.",
                    "Normal chest radiograph.",
                    "No radiographic evidence of acute disease.",
                ])
            );
            types[impression[^1]] = new("Normal", "-", "-", "impression");
        }
        if (random.Chance(0.08))
        {
            impression.Add("Findings were discussed with Dr. ___ by telephone at 9:15 a.m. on ___.");
            types[impression[^1]] = new("Communication", "-", "-", "-");
        }
        if (synthetic.Find(FindingKind.LungLesion) is not null && random.Chance(0.5))
        {
            impression.Add("Recommend dedicated imaging, e.g. chest CT, to further characterize the nodule.");
            types[impression[^1]] = new("Recommendation", "-", "-", "-");
        }

        string examination = portable ? "CHEST (PORTABLE AP)" : "CHEST (PA AND LAT)";
        var sb = new StringBuilder();
        sb.Append("                                 FINAL REPORT\n");
        Section(sb, "EXAMINATION", [examination], inline: true);
        Section(
            sb,
            "INDICATION",
            [
                random.Pick([
                    "___-year-old man with shortness of breath.  Evaluate for pneumonia.",
                    "___-year-old woman with cough and fever.",
                    "History: ___F with chest pain.",
                    "Evaluate for interval change.",
                    "___M with hypoxia, evaluate for edema.",
                ]),
            ],
            inline: true
        );
        Section(sb, "TECHNIQUE", [portable ? "Single frontal view of the chest." : "Chest PA and lateral."], inline: true);
        Section(sb, "COMPARISON", [random.Chance(0.5) ? "___" : "None."], inline: true);

        IReadOnlyList<string> writtenFindings = findings,
            writtenImpression = impression;
        switch (style)
        {
            case ReportStyle.Standard:
                Section(sb, "FINDINGS", findings, random: random);
                WriteImpression(sb, impression, random);
                break;
            case ReportStyle.ImpressionOnly:
                writtenFindings = [];
                var merged = impression.Concat(findings).ToList();
                WriteImpression(sb, merged, random, numbered: true);
                writtenImpression = merged;
                break;
            case ReportStyle.NoUsableSection:
                writtenFindings = [];
                writtenImpression = [];
                Section(sb, "NOTIFICATION", ["The referring physician was paged."], inline: true);
                break;
            case ReportStyle.TooShort:
                writtenFindings = [];
                writtenImpression = impression.Take(1 + random.Next(3)).ToList();
                WriteImpression(sb, writtenImpression.ToList(), random);
                break;
        }
        if (style != ReportStyle.NoUsableSection && random.Chance(0.05))
        {
            sb.Append(" \n ADDENDUM: \n \n");
            Wrap(sb, "Comparison with the prior study was made after dictation; the findings are unchanged.");
        }
        return new ComposedReport(sb.ToString(), writtenFindings, writtenImpression) { SentenceTypes = types };
    }

    private static IEnumerable<SyntheticFinding> Order(IEnumerable<SyntheticFinding> findings) =>
        findings.OrderBy(f =>
            f.Kind switch
            {
                FindingKind.SupportDevices => 0,
                FindingKind.Consolidation or FindingKind.Atelectasis or FindingKind.LungLesion or FindingKind.Edema => 1,
                FindingKind.PleuralEffusion or FindingKind.Pneumothorax => 2,
                _ => 3,
            }
        );

    private static void WriteImpression(StringBuilder sb, List<string> sentences, DeterministicRandom random, bool numbered = false)
    {
        if (!numbered && sentences.Count >= 2 && random.Chance(0.3))
            numbered = true;
        if (!numbered)
        {
            Section(sb, "IMPRESSION", sentences, random: random);
            return;
        }
        sb.Append(" \n IMPRESSION: \n \n");
        bool inline = random.Chance(0.3);
        var items = sentences.Select((s, i) => $"{i + 1}. {s}").ToList();
        if (inline)
        {
            Wrap(sb, string.Join("  ", items));
        }
        else
        {
            foreach (var item in items)
                Wrap(sb, item);
        }
    }

    private static void Section(
        StringBuilder sb,
        string header,
        IReadOnlyList<string> sentences,
        bool inline = false,
        DeterministicRandom? random = null
    )
    {
        string separator = random is not null && random.Chance(0.5) ? "  " : " ";
        var body = string.Join(separator, sentences);
        if (header != "EXAMINATION")
            sb.Append(" \n");
        if (inline)
        {
            sb.Append(' ').Append(header).Append(":  ");
            Wrap(sb, body, firstLineUsed: header.Length + 4);
        }
        else
        {
            sb.Append(' ').Append(header).Append(": \n \n");
            Wrap(sb, body);
        }
    }

    private static void Wrap(StringBuilder sb, string text, int firstLineUsed = 0)
    {
        const int width = 76;
        int column = firstLineUsed;
        bool lineStart = firstLineUsed == 0;
        if (lineStart)
            sb.Append(' ');
        var words = text.Split(' ');
        for (int i = 0; i < words.Length; i++)
        {
            var word = words[i];
            if (word.Length == 0)
            {
                // Keeps the double space after a period inside a line, as MIMIC's typists did.
                if (column > 0 && !lineStart)
                {
                    sb.Append(' ');
                    column++;
                }
                continue;
            }
            if (!lineStart && column + 1 + word.Length > width)
            {
                sb.Append("\n ");
                column = 0;
                lineStart = true;
            }
            if (!lineStart && sb[^1] != ' ')
            {
                sb.Append(' ');
                column++;
            }
            sb.Append(word);
            column += word.Length;
            lineStart = false;
        }
        sb.Append('\n');
    }

    private static string SideWord(BodySide side) =>
        side switch
        {
            BodySide.Right => "right",
            BodySide.Left => "left",
            _ => "bilateral",
        };

    private static string ZoneWord(LungZone zone, DeterministicRandom random) =>
        zone switch
        {
            LungZone.Upper => "upper",
            LungZone.Middle => random.Chance(0.5) ? "mid" : "middle",
            _ => "lower",
        };

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Describe(SyntheticFinding f, DeterministicRandom random)
    {
        string side = SideWord(f.Side);
        switch (f.Kind)
        {
            case FindingKind.Cardiomegaly:
                return f.Uncertain
                    ? random.Pick(["The cardiac silhouette may be mildly enlarged.", "Possible mild cardiomegaly."])
                    : random.Pick([
                        $"The heart is {f.SizeWord(true)}ly enlarged.",
                        $"There is {f.SizeWord(true)} cardiomegaly.",
                        $"{Capitalize(f.SizeWord(true))} enlargement of the cardiac silhouette is present.",
                    ]);
            case FindingKind.PleuralEffusion:
                if (f.Uncertain)
                {
                    return f.Side == BodySide.Bilateral
                        ? "Small bilateral pleural effusions cannot be excluded."
                        : random.Pick([$"Possible small {side} pleural effusion.", $"A trace {side} pleural effusion cannot be excluded."]);
                }
                return f.Side == BodySide.Bilateral
                    ? random.Pick([
                        $"There are {f.SizeWord()} bilateral pleural effusions.",
                        $"{Capitalize(f.SizeWord())} bilateral pleural effusions are present, layering at both bases.",
                    ])
                    : random.Pick([
                        $"There is a {f.SizeWord()} {side} pleural effusion.",
                        $"A {f.SizeWord()} {side} pleural effusion blunts the {side} costophrenic angle.",
                    ]);
            case FindingKind.Atelectasis:
            {
                string where =
                    f.Side == BodySide.Bilateral ? (f.Zone == LungZone.Lower ? "at both lung bases" : "in both mid lungs")
                    : f.Zone == LungZone.Lower ? $"at the {side} lung base"
                    : $"in the {side} mid lung";
                return f.Uncertain
                    ? $"Streaky opacity {where} may reflect atelectasis."
                    : random.Pick([
                        $"Linear opacity {where} is consistent with atelectasis.",
                        $"There is plate-like atelectasis {where}.",
                        $"Band-like atelectasis is seen {where}.",
                    ]);
            }
            case FindingKind.Consolidation:
            {
                string zone = ZoneWord(f.Zone, random);
                return f.Uncertain
                    ? $"Subtle opacity in the {side} {zone} lung could represent early consolidation or pneumonia."
                    : random.Pick([
                        $"There is a dense consolidation in the {side} {zone} lung, which may represent pneumonia.",
                        $"Patchy consolidative opacity in the {side} {zone} lung zone is concerning for possible pneumonia.",
                    ]);
            }
            case FindingKind.Edema:
                return f.Uncertain
                    ? random.Pick(["Possible mild interstitial pulmonary edema.", "Mild vascular congestion may reflect early edema."])
                    : random.Pick([
                        $"There is {f.SizeWord(true)} pulmonary edema with perihilar haziness.",
                        $"Bilateral perihilar opacities are consistent with {f.SizeWord(true)} pulmonary edema.",
                    ]);
            case FindingKind.Pneumothorax:
                return f.Uncertain
                    ? $"A tiny {side} apical pneumothorax cannot be excluded."
                    : random.Pick([
                        $"There is a {f.SizeWord()} {side} apical pneumothorax.",
                        $"A {f.SizeWord()} {side} pneumothorax is seen along the apex and lateral chest wall.",
                    ]);
            case FindingKind.SupportDevices:
            {
                var parts = new List<string>();
                if (f.Devices.HasFlag(DeviceKinds.EndotrachealTube))
                    parts.Add(
                        $"An endotracheal tube terminates {(3 + 2 * f.Jitter[0]).ToString("0.0", CultureInfo.InvariantCulture)} cm above "
                            + $"the carina."
                    );
                if (f.Devices.HasFlag(DeviceKinds.NasogastricTube))
                    parts.Add("A nasogastric tube courses below the diaphragm with its tip in the stomach.");
                if (f.Devices.HasFlag(DeviceKinds.CentralLine))
                    parts.Add("A right internal jugular central venous catheter ends in the mid SVC.");
                return string.Join("\n", parts); // one sentence per device
            }
            case FindingKind.LungLesion:
            {
                string size = (0.8 + 1.2 * f.Severity).ToString("0.0", CultureInfo.InvariantCulture);
                string zone = ZoneWord(f.Zone, random);
                return f.Uncertain
                    ? $"A possible nodular opacity projects over the {side} {zone} lung."
                    : $"A {size} cm nodule projects over the {side} {zone} lung.";
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(f), f.Kind, null);
        }
    }

    private static string Summarize(SyntheticFinding f, DeterministicRandom random)
    {
        string side = SideWord(f.Side);
        return f.Kind switch
        {
            FindingKind.Cardiomegaly => f.Uncertain ? "Possible mild cardiomegaly." : $"{Capitalize(f.SizeWord(true))} cardiomegaly.",
            FindingKind.PleuralEffusion => f.Uncertain ? $"Possible small {side} pleural effusion."
            : f.Side == BodySide.Bilateral ? $"{Capitalize(f.SizeWord())} bilateral pleural effusions."
            : $"{Capitalize(f.SizeWord())} {side} pleural effusion.",
            FindingKind.Atelectasis => f.Uncertain ? "Possible atelectasis."
            : f.Side == BodySide.Bilateral ? "Bibasilar atelectasis."
            : $"{Capitalize(side)} basilar atelectasis.",
            FindingKind.Consolidation => f.Uncertain
                ? $"Subtle {side} {ZoneWord(f.Zone, random)} lung opacity, possibly early pneumonia."
                : $"{Capitalize(side)} {ZoneWord(f.Zone, random)} lung consolidation, possibly pneumonia.",
            FindingKind.Edema => f.Uncertain ? "Possible mild pulmonary edema." : $"{Capitalize(f.SizeWord(true))} pulmonary edema.",
            FindingKind.Pneumothorax => f.Uncertain
                ? $"Possible tiny {side} pneumothorax."
                : $"{Capitalize(f.SizeWord())} {side} pneumothorax.",
            FindingKind.SupportDevices => random.Pick(["Lines and tubes in standard position.", "Support devices as described."]),
            FindingKind.LungLesion => f.Uncertain
                ? $"Possible {side} lung nodule."
                : $"{Capitalize(side)} {ZoneWord(f.Zone, random)} lung nodule.",
            _ => throw new ArgumentOutOfRangeException(nameof(f), f.Kind, null),
        };
    }

    // What a sentence describing or summarising `f` states. Hedged sentences name no severity; sides are named for the
    // findings the text places (not cardiomegaly or edema); each device sentence names its device.
    private static SyntheticSentenceType TypeOf(SyntheticFinding f, string sentence, bool summary = false)
    {
        string certainty = f.Uncertain ? "uncertain" : "positive";
        if (f.Kind == FindingKind.SupportDevices)
        {
            string device =
                summary ? "-"
                : sentence.Contains("endotracheal", StringComparison.Ordinal) ? "endotracheal tube"
                : sentence.Contains("nasogastric", StringComparison.Ordinal) ? "nasogastric tube"
                : "central line";
            return new(f.Kind.ToString(), certainty, "-", device);
        }
        bool sided = f.Kind is not (FindingKind.Cardiomegaly or FindingKind.Edema);
        bool sized =
            !f.Uncertain
            && f.Kind is not (FindingKind.Atelectasis or FindingKind.Consolidation)
            && !(summary && f.Kind == FindingKind.LungLesion);
        return new(f.Kind.ToString(), certainty, sized ? f.SizeWord() : "-", sided ? SideWord(f.Side) : "-");
    }

    private static IEnumerable<(string Sentence, SyntheticSentenceType Type)> Negations(SyntheticCase synthetic, DeterministicRandom random)
    {
        var negated = synthetic.Negated.ToHashSet();
        if (negated.Remove(FindingKind.PleuralEffusion) | negated.Remove(FindingKind.Pneumothorax))
        {
            bool effusion = synthetic.Negated.Contains(FindingKind.PleuralEffusion);
            bool pneumothorax = synthetic.Negated.Contains(FindingKind.Pneumothorax);
            yield return (effusion, pneumothorax) switch
            {
                (true, true) => (
                    random.Pick(["There is no pleural effusion or pneumothorax.", "No pleural effusion or pneumothorax is seen."]),
                    Negative("PleuralEffusion+Pneumothorax")
                ),
                (true, false) => ("No pleural effusion.", Negative(nameof(FindingKind.PleuralEffusion))),
                _ => ("No pneumothorax.", Negative(nameof(FindingKind.Pneumothorax))),
            };
        }
        if (negated.Remove(FindingKind.Consolidation))
            yield return (
                random.Pick(["No focal consolidation is seen.", "There is no focal consolidation to suggest pneumonia."]),
                Negative(nameof(FindingKind.Consolidation))
            );
        if (negated.Remove(FindingKind.Edema))
            yield return (
                random.Pick(["No pulmonary edema.", "There is no evidence of pulmonary edema."]),
                Negative(nameof(FindingKind.Edema))
            );
        if (negated.Remove(FindingKind.Atelectasis))
            yield return ("No atelectasis.", Negative(nameof(FindingKind.Atelectasis)));
        if (negated.Remove(FindingKind.Cardiomegaly))
            yield return (
                random.Pick(["The heart size is normal.", "Heart size and the cardiomediastinal silhouette are normal."]),
                Negative(nameof(FindingKind.Cardiomegaly))
            );
    }

    private static SyntheticSentenceType Negative(string finding) => new(finding, "negative", "-", "-");
}
