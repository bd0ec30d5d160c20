using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>Maps stream events to channel publishes (stream namespace = channel, stream key = cache key) and creates receivers.</summary>
internal sealed class HydrateQueueAdapter(string name, IServiceProvider services, Func<HydrateQueueAdapterReceiver> createReceiver) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        var channel = streamId.GetNamespace();
        var key = streamId.GetKeyAsString();
        if (string.IsNullOrEmpty(channel))
        {
            throw new ArgumentException($"HydrateCache stream provider '{name}' needs the stream namespace to be the channel name.", nameof(streamId));
        }

        var registrations = services.GetRequiredService<HydrateRegistrations>();
        if (!registrations.Channels.TryGetValue(channel, out var registration))
        {
            throw new ArgumentException(
                $"No HydrateCache channel named '{channel}' is configured here. Configured channels: {string.Join(", ", registrations.Channels.Keys.Order(StringComparer.Ordinal))}.",
                nameof(streamId));
        }

        if (!string.Equals(registration.Transport, name, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"HydrateCache channel '{channel}' is configured on transport '{registration.Transport}', not on stream provider '{name}'.", nameof(streamId));
        }

        return services.GetRequiredKeyedService<IHydrateChannelRuntime>(channel).PublishStreamEventsAsync(key, events, CancellationToken.None);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => createReceiver();
}
