namespace HydrateCache;

/// <summary>
/// The lifetime of a cached value, as stated by its publisher: the value is valid from <see cref="Start"/> for
/// <see cref="Duration"/>. A receiver never shows the value after <see cref="ExpiresAt"/>, so a consumer never outlives
/// the source data, however late the message arrives.
/// </summary>
/// <param name="Start">When the lifetime started, usually when the source read or wrote the value.</param>
/// <param name="Duration">How long the value stays valid after <paramref name="Start"/>; must be positive to publish.</param>
/// <remarks>
/// On the wire both parts are whole milliseconds (<see cref="Start"/> as Unix time), so sub-millisecond precision is dropped.
/// Expiry is judged against each receiver's own clock (<see cref="TimeProvider"/>): keep clocks synchronised (NTP) and
/// keep durations well above the expected skew.
/// </remarks>
public readonly record struct Ttl(DateTimeOffset Start, TimeSpan Duration)
{
    /// <summary>Gets the instant after which the value is no longer valid.</summary>
    public DateTimeOffset ExpiresAt => Start + Duration;

    /// <summary>Creates a lifetime that starts now, according to <paramref name="timeProvider"/>.</summary>
    /// <param name="duration">How long the value stays valid.</param>
    /// <param name="timeProvider">The clock to read; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <returns>A lifetime starting at the current time.</returns>
    public static Ttl FromNow(TimeSpan duration, TimeProvider? timeProvider = null) =>
        new((timeProvider ?? TimeProvider.System).GetUtcNow(), duration);

    /// <summary>Gets the time left before the value expires, or <see cref="TimeSpan.Zero"/> when it already has.</summary>
    /// <param name="timeProvider">The clock to read.</param>
    /// <returns>The remaining lifetime, never negative.</returns>
    public TimeSpan GetRemaining(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var remaining = ExpiresAt - timeProvider.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    /// <summary>Gets a value indicating whether the value has expired according to <paramref name="timeProvider"/>.</summary>
    /// <param name="timeProvider">The clock to read.</param>
    /// <returns><see langword="true"/> when the current time is at or past <see cref="ExpiresAt"/>.</returns>
    public bool IsExpired(TimeProvider timeProvider) => GetRemaining(timeProvider) == TimeSpan.Zero;
}
