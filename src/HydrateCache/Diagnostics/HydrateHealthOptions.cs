namespace HydrateCache;

/// <summary>
/// When a channel that is degraded (not subscribed, warming, transport disconnected, possibly stale) is reported
/// unhealthy instead: how long each condition may last (see <see cref="HydrateHealthCheck"/>).
/// </summary>
/// <remarks>
/// Every threshold accepts <see cref="TimeSpan.Zero"/> (unhealthy at once) and <see cref="Timeout.InfiniteTimeSpan"/>
/// (never unhealthy for that condition, only degraded). A failed subscription and a failed warm start are unhealthy
/// whatever the thresholds.
/// </remarks>
public sealed class HydrateHealthOptions
{
    /// <summary>Gets or sets how long a channel may be without an established subscription of its topic.</summary>
    /// <value>Defaults to 30 seconds, counted from the channel's creation or from the end of its last subscription.</value>
    public TimeSpan UnsubscribedUnhealthyAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a subscribed channel's cache may stay cold (not yet loaded from peers or the source).</summary>
    /// <value>Defaults to 1 minute, counted from the subscription: twice a silo's default warm-start timeout.</value>
    public TimeSpan WarmingUnhealthyAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long the transport may stay disconnected (every update published meanwhile is missed).</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan DisconnectedUnhealthyAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a detected loss may stay unrepaired (the cache may serve stale values meanwhile).</summary>
    /// <value>Defaults to 1 minute.</value>
    public TimeSpan StaleUnhealthyAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a threshold is neither non-negative nor <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    internal void Validate()
    {
        Check(UnsubscribedUnhealthyAfter, nameof(UnsubscribedUnhealthyAfter));
        Check(WarmingUnhealthyAfter, nameof(WarmingUnhealthyAfter));
        Check(DisconnectedUnhealthyAfter, nameof(DisconnectedUnhealthyAfter));
        Check(StaleUnhealthyAfter, nameof(StaleUnhealthyAfter));
    }

    private static void Check(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, $"HydrateHealthOptions.{name} must be non-negative or Timeout.InfiniteTimeSpan.");
        }
    }
}
