using Prior.MLNet.Generation;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Drafts by each method for the same held-out images, scored against their reports beside the trivial baseline a
/// drafter must beat (one constant report for every image: the most frequent training report); what
/// <see cref="PriorEvaluationCatalog.EvaluateReportDraftMethods"/> returns.
/// </summary>
public sealed class PriorReportDraftComparison
{
    /// <summary>The constant baseline's name among <see cref="Names"/>.</summary>
    public const string ConstantReportName = "constant report";

    internal PriorReportDraftComparison(ReportDraftEvaluation.Result result)
    {
        Names = result.Rows.Select(r => r.Name).ToList();
        Metrics = result.Rows.ToDictionary(r => r.Name, r => new PriorReportDraftMetrics(r.Scores, r.Drafts.Count));
        Drafts = result.Rows.ToDictionary(
            r => r.Name,
            r => (IReadOnlyList<string>)r.Drafts.Select(d => string.Join(" ", d.Sentences)).ToList()
        );
        ConstantReport = string.Join(" ", result.ConstantReport.Sentences);
    }

    /// <summary>The rows in order: each method's name (<see cref="NameOf"/>) as asked for, then <see cref="ConstantReportName"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Name → the scores of its drafts against the held-out reports.</summary>
    public IReadOnlyDictionary<string, PriorReportDraftMetrics> Metrics { get; }

    /// <summary>Name → its draft (sentences joined by spaces) for each held-out row, in row order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Drafts { get; }

    /// <summary>The constant baseline's report: the most frequent training report.</summary>
    public string ConstantReport { get; }

    /// <summary>The scores of <paramref name="method"/>'s drafts.</summary>
    /// <exception cref="KeyNotFoundException">The method was not compared.</exception>
    public PriorReportDraftMetrics MetricsOf(ReportDraftMethod method) => Metrics[NameOf(method)];

    /// <summary>The constant baseline's scores.</summary>
    public PriorReportDraftMetrics Constant => Metrics[ConstantReportName];

    /// <summary>How a method is named in <see cref="Names"/>, tables and the demo's JSON ("nearest report", …).</summary>
    public static string NameOf(ReportDraftMethod method) => ReportDraftEvaluation.Name(method);
}
