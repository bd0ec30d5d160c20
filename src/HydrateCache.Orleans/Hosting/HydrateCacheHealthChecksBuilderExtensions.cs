using HydrateCache;
using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the health check of a silo's HydrateCache channels to the health checks builder.</summary>
public static class HydrateCacheHealthChecksBuilderExtensions
{
    /// <summary>The name, and a tag, of the check <see cref="AddHydrateCache"/> registers unless told otherwise.</summary>
    public const string DefaultName = "hydratecache";

    /// <summary>
    /// Registers one <see cref="HydrateHealthCheck"/> that reports every channel cached on this silo (added with
    /// <c>AddHydrateCacheStreams</c>): healthy; degraded while a channel is not subscribed, warming, disconnected from
    /// its transport or possibly stale after a loss (until its peers or its source repaired it); unhealthy when that
    /// lasts longer than the <see cref="HydrateHealthOptions"/> thresholds, or when subscribing or the warm start failed.
    /// The result's data carries every channel's facts, prefixed with the channel name.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="configure">Sets the thresholds; they are the named options <paramref name="name"/> of <see cref="HydrateHealthOptions"/>, so they can also be bound from configuration.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported instead of <see cref="HealthStatus.Unhealthy"/>; <see cref="HealthStatus.Unhealthy"/> when <see langword="null"/>.</param>
    /// <param name="tags">The check's tags, for filtering (a readiness probe, for example); <c>["hydratecache"]</c> when <see langword="null"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>On a cluster client, which caches nothing, the check reports no channels and is healthy.</remarks>
    public static IHealthChecksBuilder AddHydrateCache(
        this IHealthChecksBuilder builder,
        Action<HydrateHealthOptions>? configure = null,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = builder.Services.AddOptions<HydrateHealthOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new HydrateHealthCheck(ChannelHealth(sp), sp.GetRequiredService<IOptionsMonitor<HydrateHealthOptions>>().Get(name)),
            failureStatus,
            tags ?? [DefaultName]));
    }

    /// <summary>The health of every channel this silo caches, in name order.</summary>
    private static IEnumerable<HydrateChannelHealth> ChannelHealth(IServiceProvider services)
    {
        var registrations = services.GetService<HydrateRegistrations>();
        if (registrations is null)
        {
            yield break;
        }

        foreach (var channel in registrations.Channels.Keys.Order(StringComparer.Ordinal))
        {
            if (services.GetRequiredKeyedService<IHydrateChannelRuntime>(channel).Health is { } health)
            {
                yield return health;
            }
        }
    }
}
