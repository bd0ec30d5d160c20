using System.Globalization;

namespace HydrateCache.Propagation.Harness;

/// <summary>The command line of the harness: <c>--name value</c> pairs and <c>--flag</c>s.</summary>
internal sealed class Arguments(string[] args)
{
    public string? Text(string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public string Text(string name, string fallback) => Text(name) ?? fallback;

    public int Int(string name, int fallback) =>
        int.TryParse(Text(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    public double Double(string name, double fallback) =>
        double.TryParse(Text(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    public bool Flag(string name) => args.Contains(name);

    public IReadOnlyList<string>? List(string name) =>
        Text(name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IReadOnlyList<int> Ints(string name, IReadOnlyList<int> fallback) =>
        List(name) is { } items ? [.. items.Select(item => int.Parse(item, CultureInfo.InvariantCulture))] : fallback;
}
