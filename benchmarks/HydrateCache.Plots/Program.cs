using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

// Draws the latency CDFs the harness wrote (<dir>/<mode>-cdf.csv: mode,transport,variant,step,percentile,ms) as
// <dir>/<mode>-cdf.png: one panel per transport, one line per variant (and step), latency on a log axis, the percentile
// on a tail axis (50, 90, 99, 99.9 equally spaced), so p50 and p99 of ours, the raw client and FusionCache read off directly.
//
//   dotnet run -c Release --project benchmarks/HydrateCache.Plots -- <results dir> [mode...]
if (args.Length == 0 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("Usage: HydrateCache.Plots <results dir> [mode...]   (reads <dir>/<mode>-cdf.csv, writes <dir>/<mode>-cdf.png)");
    return 2;
}

var directory = args[0];
var modes = args.Length > 1
    ? args[1..]
    : [.. Directory.GetFiles(directory, "*-cdf.csv").Select(f => Path.GetFileName(f)[..^"-cdf.csv".Length])];
foreach (var mode in modes)
{
    var file = Path.Combine(directory, $"{mode}-cdf.csv");
    if (!File.Exists(file))
    {
        Console.Error.WriteLine($"{file}: missing");
        return 1;
    }

    var points = File.ReadLines(file).Skip(1)
        .Select(line => line.Split(','))
        .Where(cells => cells.Length == 6)
        .Select(cells => new Point(cells[1], cells[3].Length == 0 ? cells[2] : $"{cells[2]} {cells[3]}", Parse(cells[4]), Parse(cells[5])))
        .ToList();
    if (points.Count == 0)
    {
        Console.Error.WriteLine($"{file}: no data, nothing drawn");
        continue;
    }

    var transports = points.Select(p => p.Transport).Distinct().ToList();
    var multiplot = new Multiplot();
    multiplot.AddPlots(transports.Count);
    multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
    for (var i = 0; i < transports.Count; i++)
    {
        Draw(multiplot.GetPlot(i), mode, transports[i], points.Where(p => p.Transport == transports[i]).ToList());
    }

    var output = Path.Combine(directory, $"{mode}-cdf.png");
    multiplot.SavePng(output, 560 * transports.Count, 520);
    Console.WriteLine($"wrote {output}");
}

return 0;

static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

// The tail axis: y = -log10(1 - p), so p50 → 0.3, p90 → 1, p99 → 2, p99.9 → 3.
static double Tail(double percentile) => -Math.Log10(Math.Max(1 - (percentile / 100), 1e-4));

static void Draw(Plot plot, string mode, string transport, List<Point> points)
{
    var palette = new ScottPlot.Palettes.Category10();
    var index = 0;
    foreach (var series in points.GroupBy(p => p.Series))
    {
        var data = series.Where(p => p.Ms > 0).OrderBy(p => p.Percentile).ToList();
        double[] xs = [.. data.Select(p => Math.Log10(p.Ms))];
        double[] ys = [.. data.Select(p => Tail(p.Percentile))];
        var line = plot.Add.ScatterLine(xs, ys);
        line.LegendText = series.Key switch
        {
            "raw" => "raw client",
            "orleans" => "ours, 3-silo Orleans",
            "fusioncache" => "FusionCache L1+L2+backplane",
            "readthrough" => "read-through, local TTL",
            "hydrate" => "HydrateCache",
            "ours" => "ours (HydrateChannel)",
            _ => series.Key,
        };
        line.LineWidth = 2;
        line.Color = palette.GetColor(index++);
    }

    plot.Title(mode switch
    {
        "latency" => $"{transport}: publish → visible on every node",
        "readheavy" => $"{transport}: read latency, read-heavy workload",
        _ => $"{transport}: {mode}",
    });
    plot.XLabel("latency (ms, log scale)");
    plot.YLabel("percentile");
    plot.Axes.Bottom.TickGenerator = new NumericAutomatic
    {
        MinorTickGenerator = new LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = value => Math.Pow(10, value).ToString("0.###", CultureInfo.InvariantCulture),
    };
    var ticks = new NumericManual();
    foreach (var percentile in new[] { 0.0, 50, 90, 99, 99.9, 99.99 })
    {
        ticks.AddMajor(Tail(percentile), percentile.ToString("0.##", CultureInfo.InvariantCulture));
    }

    plot.Axes.Left.TickGenerator = ticks;
    plot.Axes.SetLimitsY(0, 4.1);
    plot.ShowLegend(Alignment.UpperLeft);
}

/// <summary>One point of a CDF.</summary>
internal sealed record Point(string Transport, string Series, double Percentile, double Ms);
