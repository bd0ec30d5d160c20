using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans;

/// <summary>Finds the runtime of a channel by name on this silo or client.</summary>
internal sealed class HydrateChannelRegistry(IServiceProvider services, HydrateRegistrations registrations)
{
    private readonly ConcurrentDictionary<string, int> _workerActivations = new(StringComparer.Ordinal);

    /// <summary>Counts the live worker grain activations of a channel on this silo (there must be exactly one).</summary>
    public void OnWorkerActivated(string channel) => _workerActivations.AddOrUpdate(channel, 1, static (_, count) => count + 1);

    public void OnWorkerDeactivated(string channel) => _workerActivations.AddOrUpdate(channel, 0, static (_, count) => count - 1);

    public int GetWorkerActivations(string channel) => _workerActivations.TryGetValue(channel, out var count) ? count : 0;

    public IHydrateChannelRuntime Get(string channel)
    {
        if (!registrations.Channels.ContainsKey(channel))
        {
            throw new InvalidOperationException(
                $"No HydrateCache channel named '{channel}' is configured here. Configured channels: {string.Join(", ", registrations.Channels.Keys.Order(StringComparer.Ordinal))}.");
        }

        return services.GetRequiredKeyedService<IHydrateChannelRuntime>(channel);
    }
}
