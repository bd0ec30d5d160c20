using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Streams;

namespace HydrateCache.Orleans;

/// <summary>
/// The Orleans stream provider of one HydrateCache transport. It is write-only: events sent with
/// <c>IAsyncStream.OnNextAsync</c> are published through the transport. Receiving does not use pulling agents
/// (which give each queue to one silo and poll every 100 ms): each silo's <see cref="HydrateChannelHost"/> receives
/// its own copy of every message from the transport, pushed, and hands it to the silo's worker grain.
/// </summary>
internal sealed class HydrateQueueAdapterFactory(string name, HydrateChannelRegistry registry) : IQueueAdapterFactory
{
    private readonly HashRingBasedStreamQueueMapper _mapper = new(new HashRingStreamQueueMapperOptions { TotalQueueCount = 1 }, name);

    public static IQueueAdapterFactory Create(IServiceProvider services, string name) =>
        ActivatorUtilities.CreateInstance<HydrateQueueAdapterFactory>(services, name);

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        Task.FromResult<IQueueAdapter>(new HydrateQueueAdapter(name, registry));

    public IQueueAdapterCache GetQueueAdapterCache() =>
        throw new NotSupportedException($"HydrateCache stream provider '{name}' is write-only: silos receive through their own transport subscriptions, not pulling agents.");

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}

/// <summary>Maps stream events to channel publishes: stream namespace = channel, stream key = cache key.</summary>
internal sealed class HydrateQueueAdapter(string name, HydrateChannelRegistry registry) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.WriteOnly;

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        var channel = streamId.GetNamespace();
        var key = streamId.GetKeyAsString();
        if (string.IsNullOrEmpty(channel))
        {
            throw new ArgumentException($"HydrateCache stream provider '{name}' needs the stream namespace to be the channel name.", nameof(streamId));
        }

        var runtime = registry.Get(channel);
        if (!string.Equals(runtime.Transport, name, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"HydrateCache channel '{channel}' is configured on transport '{runtime.Transport}', not on stream provider '{name}'.", nameof(streamId));
        }

        return runtime.PublishStreamEventsAsync(key, events, CancellationToken.None);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) =>
        throw new NotSupportedException($"HydrateCache stream provider '{name}' is write-only.");
}
