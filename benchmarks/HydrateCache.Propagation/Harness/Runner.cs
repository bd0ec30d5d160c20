using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace HydrateCache.Propagation.Harness;

/// <summary>One row of a comparison: a transport, a variant (raw, ours, orleans, fusioncache, ...) and an optional step.</summary>
internal sealed record CaseKey(string Transport, string Variant, string Step = "")
{
    public override string ToString() => Step.Length == 0 ? $"{Transport}/{Variant}" : $"{Transport}/{Variant}/{Step}";
}

/// <summary>What one run of one case measured: named numbers, and optionally the latencies for the CDF plot.</summary>
internal sealed class RunResult
{
    public Dictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the sorted latencies (ms) this run contributes to the case's CDF.</summary>
    public double[]? Latencies { get; set; }

    public double this[string metric]
    {
        get => Metrics.TryGetValue(metric, out var value) ? value : double.NaN;
        set => Metrics[metric] = value;
    }
}

/// <summary>A case and how to run it once.</summary>
internal sealed record BenchCase(CaseKey Key, Func<Task<RunResult>> RunAsync);

/// <summary>A column of the table: one metric as median (min–max) over the runs.</summary>
internal sealed record Column(string Metric, string Header);

/// <summary>A column: the median of a metric divided by the median of the same metric of the baseline variant (same transport and step).</summary>
internal sealed record RatioColumn(string Metric, string BaselineVariant, string Header);

/// <summary>How a mode's results are reported.</summary>
internal sealed class Report
{
    public required string Mode { get; init; }

    public required string Title { get; init; }

    /// <summary>Gets the lines that say what was run (settings, definitions).</summary>
    public IReadOnlyList<string> Description { get; init; } = [];

    public required IReadOnlyList<Column> Columns { get; init; }

    public IReadOnlyList<RatioColumn> Ratios { get; init; } = [];

    /// <summary>Gets the header of the verdict column (none when null).</summary>
    public string? VerdictHeader { get; init; }

    /// <summary>Gets the verdict of a case from the medians of every case (empty: not applicable).</summary>
    public Func<CaseKey, Medians, string>? Verdict { get; init; }

    /// <summary>Gets what follows the table (summaries computed from the medians).</summary>
    public Action<StringBuilder, Medians>? After { get; init; }
}

/// <summary>The median of every metric of every case, and its worst (largest) run.</summary>
internal sealed class Medians(IReadOnlyDictionary<CaseKey, IReadOnlyDictionary<string, double>> medians, IReadOnlyDictionary<CaseKey, IReadOnlyDictionary<string, double>> maxima)
{
    public IEnumerable<CaseKey> Cases => medians.Keys;

    public double this[CaseKey key, string metric] => Lookup(medians, key, metric);

    /// <summary>Gets the largest value of a metric over the case's runs: a loss in one run of three is a loss, whatever the median says.</summary>
    public double Max(CaseKey key, string metric) => Lookup(maxima, key, metric);

    private static double Lookup(IReadOnlyDictionary<CaseKey, IReadOnlyDictionary<string, double>> values, CaseKey key, string metric) =>
        values.TryGetValue(key, out var metrics) && metrics.TryGetValue(metric, out var value) ? value : double.NaN;
}

/// <summary>
/// The one runner every mode uses: runs each case <c>repeat</c> times, interleaved (case A, B, C, then A, B, C again,
/// so slow drifts of the machine spread over every case), and reports each metric as median (min–max) over the runs, as a
/// Markdown table on the console and in <c>&lt;out&gt;/&lt;mode&gt;.md</c>, every run's numbers in
/// <c>&lt;mode&gt;-runs.csv</c>, and the latency CDF of every case (pooled over its runs) in <c>&lt;mode&gt;-cdf.csv</c>.
/// </summary>
internal static class Runner
{
    /// <summary>The percentiles written to the CDF file: fine in the tail, where the cases differ.</summary>
    private static readonly double[] CdfPercentiles =
    [
        .. Enumerable.Range(1, 90).Select(i => (double)i),
        .. Enumerable.Range(1, 90).Select(i => 90 + (i / 10.0)),
        .. Enumerable.Range(1, 9).Select(i => 99 + (i / 10.0)),
        99.95, 100,
    ];

    public static async Task<int> RunAsync(Report report, IReadOnlyList<BenchCase> cases, int repeat, string? outDirectory)
    {
        var runs = cases.ToDictionary(c => c.Key, _ => new List<RunResult>());
        var failures = 0;
        Console.WriteLine($"# {report.Title}: {cases.Count} cases × {repeat} runs");
        for (var run = 1; run <= repeat; run++)
        {
            foreach (var benchCase in cases)
            {
                var started = Stopwatch.GetTimestamp();
                RunResult result;
                try
                {
                    result = await benchCase.RunAsync();
                }
                catch (Exception ex)
                {
                    failures++;
                    Console.Error.WriteLine($"  run {run} {benchCase.Key}: FAILED {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
                    continue;
                }

                runs[benchCase.Key].Add(result);
                Console.Error.WriteLine(Stats.Invariant(
                    $"  run {run} {benchCase.Key}: {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s, load {LoadAverage()}, {string.Join(", ", report.Columns.Take(6).Select(c => $"{c.Header} {Stats.Format(result[c.Metric])}"))}"));
            }
        }

        var medians = new Medians(Aggregate(runs, Stats.Median), Aggregate(runs, values => values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max()));
        var text = Render(report, cases, runs, medians, repeat);
        Console.WriteLine();
        Console.WriteLine(text);
        if (outDirectory is not null)
        {
            Directory.CreateDirectory(outDirectory);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, $"{report.Mode}.md"), text);
            await WriteRunsAsync(Path.Combine(outDirectory, $"{report.Mode}-runs.csv"), report.Mode, runs);
            await WriteCdfAsync(Path.Combine(outDirectory, $"{report.Mode}-cdf.csv"), report.Mode, runs);
        }

        return failures == 0 ? 0 : 1;
    }

    private static Dictionary<CaseKey, IReadOnlyDictionary<string, double>> Aggregate(Dictionary<CaseKey, List<RunResult>> runs, Func<IEnumerable<double>, double> aggregate) =>
        runs.ToDictionary(
            pair => pair.Key,
            pair => (IReadOnlyDictionary<string, double>)pair.Value.SelectMany(r => r.Metrics.Keys).Distinct()
                .ToDictionary(metric => metric, metric => aggregate(pair.Value.Select(r => r[metric]))));

    private static string Render(Report report, IReadOnlyList<BenchCase> cases, Dictionary<CaseKey, List<RunResult>> runs, Medians medians, int repeat)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## {report.Title}");
        text.AppendLine();
        foreach (var line in report.Description)
        {
            text.AppendLine(line);
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Cells: median (min–max) over {repeat} runs, cases interleaved run by run. Run at {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}.");
        text.AppendLine();
        var hasStep = cases.Any(c => c.Key.Step.Length > 0);
        var headers = new List<string> { "transport", "variant" };
        if (hasStep)
        {
            headers.Add("step");
        }

        headers.Add("runs");
        headers.AddRange(report.Columns.Select(c => c.Header));
        headers.AddRange(report.Ratios.Select(r => r.Header));
        if (report.VerdictHeader is not null)
        {
            headers.Add(report.VerdictHeader);
        }

        text.AppendLine($"| {string.Join(" | ", headers)} |");
        text.AppendLine($"|{string.Concat(headers.Select(_ => "---|"))}");
        foreach (var benchCase in cases)
        {
            var key = benchCase.Key;
            var results = runs[key];
            var cells = new List<string> { key.Transport, key.Variant };
            if (hasStep)
            {
                cells.Add(key.Step);
            }

            cells.Add(results.Count.ToString(CultureInfo.InvariantCulture));
            cells.AddRange(report.Columns.Select(c => Cell(results.Select(r => r[c.Metric]).ToArray())));
            cells.AddRange(report.Ratios.Select(r =>
            {
                var baseline = medians[key with { Variant = r.BaselineVariant }, r.Metric];
                var value = medians[key, r.Metric];
                return double.IsNaN(baseline) || double.IsNaN(value) || baseline == 0 || key.Variant == r.BaselineVariant
                    ? "–"
                    : Stats.Invariant($"{value / baseline:0.00}×");
            }));
            if (report.VerdictHeader is not null)
            {
                cells.Add(report.Verdict?.Invoke(key, medians) ?? string.Empty);
            }

            text.AppendLine($"| {string.Join(" | ", cells)} |");
        }

        report.After?.Invoke(text, medians);
        return text.ToString();
    }

    private static string Cell(double[] values)
    {
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        if (present.Length == 0)
        {
            return "–";
        }

        var median = Stats.Format(Stats.Median(present));
        var min = Stats.Format(present.Min());
        var max = Stats.Format(present.Max());
        return min == max ? median : $"{median} ({min}–{max})";
    }

    private static async Task WriteRunsAsync(string path, string mode, Dictionary<CaseKey, List<RunResult>> runs)
    {
        var lines = new List<string> { "mode,transport,variant,step,run,metric,value" };
        foreach (var (key, results) in runs)
        {
            for (var i = 0; i < results.Count; i++)
            {
                lines.AddRange(results[i].Metrics.Select(m => Stats.Invariant($"{mode},{key.Transport},{key.Variant},{key.Step},{i + 1},{m.Key},{m.Value:R}")));
            }
        }

        await File.WriteAllLinesAsync(path, lines);
    }

    private static async Task WriteCdfAsync(string path, string mode, Dictionary<CaseKey, List<RunResult>> runs)
    {
        var lines = new List<string> { "mode,transport,variant,step,percentile,ms" };
        foreach (var (key, results) in runs)
        {
            var pooled = results.Where(r => r.Latencies is not null).SelectMany(r => r.Latencies!).Order().ToArray();
            if (pooled.Length > 0)
            {
                lines.AddRange(CdfPercentiles.Select(p => Stats.Invariant($"{mode},{key.Transport},{key.Variant},{key.Step},{p:R},{Stats.Percentile(pooled, p):R}")));
            }
        }

        await File.WriteAllLinesAsync(path, lines);
    }

    /// <summary>The 1-minute load average (Linux), so every report shows how busy the machine was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
