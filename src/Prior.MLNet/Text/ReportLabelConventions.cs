namespace Prior.MLNet.Text;

/// <summary>
/// Whose rules the report labeler follows (<c>--conventions</c> on <c>prior label-reports</c>; an option of
/// <c>LabelChexpertObservations</c>).
/// </summary>
public enum ReportLabelConventions
{
    /// <summary>
    /// The CheXpert labeler's published rules (Irvin et al., 2019; stanfordmlgroup/chexpert-labeler): its mention,
    /// unmention and No Finding "other findings" phrase lists, its uncertainty and negation cues, its aggregation. Labels
    /// and draft scores are then comparable with papers that use the CheXpert labeler. The default.
    /// </summary>
    Chexpert = 0,

    /// <summary>
    /// CheXpert's rules with this library's additions, each a named list in <c>Text/ChexpertRules/extended</c>: device
    /// words CheXpert lacks (wires, clips, ports, stents, ETT, NGT, OGT, CVL, IJ, monitoring leads, stimulators), PTX,
    /// "heart" without "the", lines that are not devices (Kerley B and septal lines, a pleural line), and hedges CheXpert
    /// reads as assertions or negations ("likely", "suggestive of", "difficult to exclude", "rule out").
    /// </summary>
    Extended = 1,
}
