namespace HydrateCache;

/// <summary>
/// A hybrid logical clock timestamp: physical Unix time in milliseconds plus a logical counter that orders events
/// within one millisecond and events that causally follow a timestamp from a faster clock.
/// </summary>
/// <param name="PhysicalTime">Unix time in milliseconds.</param>
/// <param name="Counter">The logical counter within <paramref name="PhysicalTime"/>.</param>
/// <remarks>
/// Timestamps order lexicographically: first <see cref="PhysicalTime"/>, then <see cref="Counter"/>. Messages also carry
/// the sender id, which breaks ties between two senders that produced the same timestamp, so every version is unique.
/// </remarks>
public readonly record struct HybridTimestamp(long PhysicalTime, uint Counter) : IComparable<HybridTimestamp>
{
    /// <summary>Gets the physical part as a <see cref="DateTimeOffset"/> (UTC).</summary>
    public DateTimeOffset PhysicalDateTime => DateTimeOffset.FromUnixTimeMilliseconds(PhysicalTime);

    /// <inheritdoc />
    public int CompareTo(HybridTimestamp other)
    {
        var byTime = PhysicalTime.CompareTo(other.PhysicalTime);
        return byTime != 0 ? byTime : Counter.CompareTo(other.Counter);
    }

    /// <summary>Compares two timestamps.</summary>
    /// <param name="left">The first timestamp.</param>
    /// <param name="right">The second timestamp.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is earlier.</returns>
    public static bool operator <(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) < 0;

    /// <summary>Compares two timestamps.</summary>
    /// <param name="left">The first timestamp.</param>
    /// <param name="right">The second timestamp.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is later.</returns>
    public static bool operator >(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) > 0;

    /// <summary>Compares two timestamps.</summary>
    /// <param name="left">The first timestamp.</param>
    /// <param name="right">The second timestamp.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is earlier or equal.</returns>
    public static bool operator <=(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two timestamps.</summary>
    /// <param name="left">The first timestamp.</param>
    /// <param name="right">The second timestamp.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> is later or equal.</returns>
    public static bool operator >=(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{PhysicalTime}.{Counter}";
}
