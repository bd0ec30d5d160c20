using System.Globalization;

namespace HydrateCache.BurstHost;

/// <summary>Command-line options of the form <c>--name value</c>.</summary>
internal sealed class BurstArgs(string[] args)
{
    public string? Get(string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    public string Required(string name) => Get(name) ?? throw new ArgumentException($"Missing option {name}.");

    public int Int(string name, int fallback) => Get(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public long Long(string name, long fallback) => Get(name) is { } value ? long.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
