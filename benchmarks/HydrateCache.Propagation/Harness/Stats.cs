using System.Globalization;

namespace HydrateCache.Propagation.Harness;

/// <summary>Percentiles and formatting shared by every mode.</summary>
internal static class Stats
{
    /// <summary>The nearest-rank percentile of sorted values (NaN when there are none).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percentile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    public static string Format(double value) => double.IsNaN(value) ? "–" : value switch
    {
        0 => "0",
        >= 1000 or <= -1000 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 100 or <= -100 => value.ToString("0.0", CultureInfo.InvariantCulture),
        >= 10 or <= -10 => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
