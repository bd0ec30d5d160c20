using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HydrateCache;

/// <summary>
/// A health check (Microsoft.Extensions.Diagnostics.HealthChecks) of one or more channels' caches: healthy; degraded
/// while a channel is not subscribed, warming, disconnected from its transport, or possibly stale after a loss; unhealthy
/// when that lasts longer than <see cref="HydrateHealthOptions"/> allows, or when subscribing or the warm start failed.
/// </summary>
/// <remarks>
/// <para>The result is the worst channel's status; its description lists every channel that is not healthy, with the
/// reason and for how long. Its data holds, per channel (keys prefixed with the channel name and a dot): <c>status</c>,
/// <c>since</c> (when the channel entered that state), <c>subscribed</c>, <c>warm</c>, <c>connected</c>,
/// <c>possiblyStale</c>, the counts <c>losses</c>, <c>repairs</c> and <c>disconnects</c>, and <c>lastLossReason</c> /
/// <c>lastLossAt</c> once a loss happened. Nothing from the transport's configuration (addresses, credentials) is reported.</para>
/// <para>A plain .NET service registers one with the health checks builder:
/// <c>services.AddHealthChecks().AddCheck("hydratecache", new HydrateHealthCheck([channel.Health]))</c>. On an Orleans
/// silo, <c>AddHydrateCache()</c> registers one for every channel of the silo.</para>
/// <para>An unhealthy result reports the registration's failure status instead (<see cref="HealthCheckRegistration.FailureStatus"/>).</para>
/// </remarks>
public sealed class HydrateHealthCheck : IHealthCheck
{
    private readonly IReadOnlyList<HydrateChannelHealth> _channels;
    private readonly HydrateHealthOptions _options;

    /// <summary>Initializes a new instance of the <see cref="HydrateHealthCheck"/> class.</summary>
    /// <param name="channels">The channels to report (<see cref="HydrateChannel{T}.Health"/>).</param>
    /// <param name="options">The thresholds; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A threshold of <paramref name="options"/> is negative.</exception>
    public HydrateHealthCheck(IEnumerable<HydrateChannelHealth> channels, HydrateHealthOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _channels = [.. channels];
        _options = options ?? new HydrateHealthOptions();
        _options.Validate();
    }

    /// <summary>Evaluates every channel.</summary>
    /// <param name="context">The health check context.</param>
    /// <param name="cancellationToken">Not used: the evaluation reads in-memory state only.</param>
    /// <returns>The worst channel's status, the reasons, and every channel's facts.</returns>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = HealthStatus.Healthy;
        var reasons = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var channel in _channels)
        {
            var channelStatus = channel.Evaluate(_options, reasons, data, channel.Channel + ".");
            status = channelStatus < status ? channelStatus : status;
        }

        if (status == HealthStatus.Unhealthy && context?.Registration is { } registration)
        {
            status = registration.FailureStatus;
        }

        var description = reasons.Count > 0
            ? string.Join("; ", reasons)
            : _channels.Count == 1 ? $"{_channels[0].Channel}: healthy" : $"{_channels.Count} channels healthy";
        return Task.FromResult(new HealthCheckResult(status, description, data: data));
    }
}
