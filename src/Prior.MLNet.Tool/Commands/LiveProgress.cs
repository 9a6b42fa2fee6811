using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// Progress of a long loop on standard error. On a terminal: a live bar per phase (Spectre.Console) with the count,
/// the rate and the time left, and log lines printed above the bars. Otherwise (a log file, a pipe, CI): no bar and
/// no carriage returns — the log lines, and (with milestones on) a plain progress line at every tenth of a phase.
/// </summary>
internal sealed partial class LiveProgress
{
    private readonly string _description;
    private readonly string _unit;
    private readonly IAnsiConsole? _console;
    private readonly ProgressContext? _context;
    private readonly bool _milestones;
    private readonly object _gate = new();
    private readonly Dictionary<string, Phase> _phases = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _units;

    // Phases start when the one before last reported (or with the run): a phase's first report comes after some of its
    // work, so its own first report would be too late a start for its rate.
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastReport;

    private sealed class Phase(string unit, long total, TimeSpan start)
    {
        public ProgressTask? Task;
        public string Unit = unit;
        public long Total = total;
        public int Milestone;
        public readonly TimeSpan Start = start;
    }

    private LiveProgress(
        string description,
        string unit,
        long total,
        IAnsiConsole? console,
        ProgressContext? context,
        bool milestones,
        System.Collections.Concurrent.ConcurrentDictionary<int, string>? units = null
    )
    {
        _units = units ?? new();
        _description = description;
        _unit = unit;
        _console = console;
        _context = context;
        _milestones = milestones;
        _phases[description] = new Phase(unit, total, TimeSpan.Zero);
    }

    /// <summary>True when standard error is a terminal (bars are drawn); false for logs and pipes, or with PRIOR_NO_PROGRESS=1.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("PRIOR_NO_PROGRESS") != "1";

    /// <summary>
    /// Runs <paramref name="body"/> with a progress display of <paramref name="total"/> <paramref name="unit"/>
    /// (0 when not known yet: set it with <see cref="SetTotal"/>). Without a terminal, <paramref name="milestones"/>
    /// prints a line at every tenth; leave it off where the body logs its own lines (an epoch each).
    /// </summary>
    public static T Run<T>(string description, string unit, long total, Func<LiveProgress, T> body, bool milestones = true)
    {
        if (!Interactive)
            return body(new LiveProgress(description, unit, total, null, null, milestones));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        var units = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        console
            .Progress()
            .AutoClear(false)
            .HideCompleted(false)
            // Narrow enough for an 80-column terminal: what, count and rate, bar, percentage, time left.
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new CountColumn(units),
                new ProgressBarColumn { Width = 15 },
                new PercentageColumn(),
                new RemainingTimeColumn()
            )
            .Start(context =>
            {
                var progress = new LiveProgress(description, unit, total, console, context, milestones, units);
                result = body(progress);
                lock (progress._gate)
                    foreach (var phase in progress._phases.Values)
                        phase.Task?.StopTask();
            });
        return result;
    }

    /// <summary>Sets the amount of work once it is known.</summary>
    public void SetTotal(long total)
    {
        lock (_gate)
        {
            _phases[_description].Total = total;
        }
    }

    /// <summary>
    /// A training step: the bar's total is every stage's epochs at this stage's steps per epoch (the batch size, hence
    /// the steps, is the same in every stage), its text the stage, epoch and total loss.
    /// </summary>
    public void ReportTraining(Training.TrainingProgress p, IReadOnlyList<int> stageEpochs)
    {
        if (p.GlobalStep == 1 || p.Step == 0)
            SetTotal((long)stageEpochs.Sum() * p.StepsPerEpoch);
        Report(p.GlobalStep, $"stage {(int)p.Stage} epoch {p.Epoch + 1} loss {p.Losses.GetValueOrDefault("total"):0.00}");
    }

    /// <summary>Reports <paramref name="done"/> units done; <paramref name="status"/> (short) replaces the description on the
    /// bar.</summary>
    public void Report(long done, string? status = null)
    {
        lock (_gate)
            Update(_description, _phases[_description], done, status);
    }

    /// <summary>
    /// The library's progress messages (<c>"WHAT: done/total unit …"</c>, as the MIMIC-CXR index and the synthetic
    /// generator write them) as a bar per WHAT; any other message becomes a log line.
    /// </summary>
    public IProgress<string> Messages() => new MessageProgress(this);

    /// <summary>A log line: above the bars on a terminal, on standard output otherwise.</summary>
    public void Line(string text)
    {
        lock (_gate)
        {
            if (_console is not null)
                _console.WriteLine(text);
            else
                Console.WriteLine(text);
        }
    }

    // A phase's bar appears with its first report, so that a run whose work the library reports in phases of its own
    // shows only those.
    private void Update(string name, Phase phase, long done, string? status)
    {
        var now = _clock.Elapsed;
        _lastReport = now;
        if (_context is not null)
        {
            phase.Task ??= _context.AddTask(Markup.Escape(name), maxValue: Math.Max(phase.Total, 1));
            phase.Task.MaxValue = Math.Max(phase.Total, 1);
            _units[phase.Task.Id] = phase.Unit;
            phase.Task.Value = done;
            phase.Task.Description = Markup.Escape(status ?? name);
            return;
        }
        if (!_milestones || phase.Total <= 0)
            return;
        int milestone = (int)Math.Min(10, done * 10 / phase.Total);
        if (milestone <= phase.Milestone)
            return;
        phase.Milestone = milestone;
        double rate = done / Math.Max((now - phase.Start).TotalSeconds, 1e-9);
        var left = TimeSpan.FromSeconds(Math.Round((phase.Total - done) / Math.Max(rate, 1e-9)));
        Console.Error.WriteLine(
            $"{name}: {done}/{phase.Total} {phase.Unit} ({milestone * 10} %), {rate:0.#} {phase.Unit}/s, {left:hh\\:mm\\:ss} "
                + $"left{(status is null ? "" : ", " + status)}"
        );
    }

    [GeneratedRegex(@"^(?<what>[^:]+): (?<done>\d+)/(?<total>\d+) (?<unit>\w+)")]
    private static partial Regex CountMessage();

    private sealed class MessageProgress(LiveProgress owner) : IProgress<string>
    {
        public void Report(string value)
        {
            var match = CountMessage().Match(value);
            if (!match.Success)
            {
                owner.Line(value);
                return;
            }
            string what = match.Groups["what"].Value,
                unit = match.Groups["unit"].Value;
            long done = long.Parse(match.Groups["done"].Value, CultureInfo.InvariantCulture),
                total = long.Parse(match.Groups["total"].Value, CultureInfo.InvariantCulture);
            lock (owner._gate)
            {
                if (!owner._phases.TryGetValue(what, out var phase))
                    owner._phases[what] = phase = new Phase(unit, total, owner._lastReport);
                phase.Unit = unit;
                phase.Total = total;
                owner.Update(what, phase, done, null);
            }
        }
    }

    // "done/total unit rate/s" from the task's own count and Spectre's running speed.
    private sealed class CountColumn(System.Collections.Concurrent.ConcurrentDictionary<int, string> units) : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(
            Spectre.Console.Rendering.RenderOptions options,
            ProgressTask task,
            TimeSpan deltaTime
        ) =>
            new Spectre.Console.Text(
                $"{task.Value:0}/{task.MaxValue:0} {units.GetValueOrDefault(task.Id, "")} {task.Speed ?? 0:0.#}/s",
                new Style(Color.Grey)
            );
    }
}
