using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>
/// Checks HydrateCache's configuration when the silo or client starts, and builds every channel so that a type the
/// codec cannot handle fails start-up, not the first publish.
/// </summary>
internal sealed class HydrateCacheConfigurationValidator(IServiceProvider services, HydrateRegistrations registrations, IOptions<HydrateCacheOptions> options)
    : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var value = options.Value;
        Require(value.MaxBatchSize >= 1, nameof(HydrateCacheOptions.MaxBatchSize), "must be at least 1");
        Require(value.MaxInFlightBytes >= 1, nameof(HydrateCacheOptions.MaxInFlightBytes), "must be at least 1");
        Require(value.MaxMessageBytes >= 64, nameof(HydrateCacheOptions.MaxMessageBytes), "must be at least 64 bytes");
        Require(value.TombstoneRetention > TimeSpan.Zero, nameof(HydrateCacheOptions.TombstoneRetention), "must be greater than zero");
        Require(value.WarmStartTimeout >= TimeSpan.Zero, nameof(HydrateCacheOptions.WarmStartTimeout), "must not be negative");
        Require(value.AntiEntropyInterval >= TimeSpan.Zero, nameof(HydrateCacheOptions.AntiEntropyInterval), "must not be negative");
        Require(value.RepairPageSize >= 1, nameof(HydrateCacheOptions.RepairPageSize), "must be at least 1");
        Require(value.MaxClockSkew > TimeSpan.Zero || value.MaxClockSkew == Timeout.InfiniteTimeSpan, nameof(HydrateCacheOptions.MaxClockSkew), "must be positive or Timeout.InfiniteTimeSpan");

        foreach (var channel in registrations.Channels.Values)
        {
            if (!registrations.Transports.Contains(channel.Transport))
            {
                throw new OrleansConfigurationException(
                    $"HydrateCache channel '{channel.Channel}' uses transport '{channel.Transport}', which is not configured. Add it with AddTransport(\"{channel.Transport}\", ...).");
            }

            try
            {
                services.GetRequiredKeyedService<IHydrateChannelRuntime>(channel.Channel);
            }
            catch (Exception ex)
            {
                throw new OrleansConfigurationException(
                    $"HydrateCache channel '{channel.Channel}' of {channel.ValueType.FullName} could not be created: {ex.Message}", ex);
            }
        }
    }

    private static void Require(bool condition, string option, string rule)
    {
        if (!condition)
        {
            throw new OrleansConfigurationException($"{nameof(HydrateCacheOptions)}.{option} {rule}.");
        }
    }
}
