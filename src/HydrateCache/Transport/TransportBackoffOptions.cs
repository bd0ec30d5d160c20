namespace HydrateCache;

/// <summary>
/// The delays between a transport's attempts to re-establish something that failed, for example a subscription whose
/// client-library subscription or consumer ended without being disposed: exponential, with jitter, up to a cap.
/// </summary>
/// <remarks>
/// Attempt <c>n</c> (counting from 0) waits a random time between half and all of
/// <c>min(<see cref="InitialDelay"/> × 2ⁿ, <see cref="MaxDelay"/>)</c>, so many processes that lost their subscriptions
/// at the same moment do not all retry at the same moment. See <see cref="TransportBackoff"/>.
/// </remarks>
public sealed class TransportBackoffOptions
{
    /// <summary>Gets or sets the delay before the first retry, before jitter.</summary>
    /// <value>Defaults to 100 ms. Must be positive.</value>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest delay between two attempts, before jitter: the doubling stops there.</summary>
    /// <value>Defaults to 30 seconds. Must be at least <see cref="InitialDelay"/>.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Creates a copy of these options.</summary>
    /// <returns>The copy.</returns>
    public TransportBackoffOptions Clone() => (TransportBackoffOptions)MemberwiseClone();

    /// <summary>Throws when an option is out of its domain.</summary>
    /// <param name="owner">What the options belong to, for the message (for example "NatsTransportOptions.ResubscribeBackoff").</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate(string owner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InitialDelay, TimeSpan.Zero, owner + ".InitialDelay");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay, owner + ".MaxDelay");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDelay, TimeSpan.FromDays(1), owner + ".MaxDelay");
    }
}
