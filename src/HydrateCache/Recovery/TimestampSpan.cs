namespace HydrateCache;

/// <summary>Converts option durations into <see cref="TimeProvider.GetTimestamp"/> units, as loss recovery keeps its times.</summary>
internal static class TimestampSpan
{
    /// <summary>Gets <paramref name="span"/> in ticks of a timestamp with <paramref name="frequency"/> ticks per second.</summary>
    public static long From(TimeSpan span, long frequency) => (long)(span.TotalSeconds * frequency);
}
