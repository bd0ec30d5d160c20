using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// The Orleans stream provider of one HydrateCache transport, with both halves. Publishing: events sent with
/// <c>IAsyncStream.OnNextAsync</c> on stream (channel, cache key) are published through the transport. Receiving: on every
/// silo (see <see cref="HydrateBroadcastQueueBalancer"/>) the silo's own subscriptions of every channel of the transport
/// (<see cref="HydrateSiloSubscriptions"/>) are read by the silo's pulling agent through a <see cref="HydrateQueueAdapterReceiver"/>,
/// which pushes what arrives to the silo's own worker grain of each channel.
/// </summary>
internal sealed class HydrateQueueAdapterFactory : IQueueAdapterFactory
{
    /// <summary>
    /// The agent's cache holds what is being delivered: it admits 6 containers per read (a tenth of its size) and pauses
    /// reading when about 60 are not yet delivered (a worker falling behind); the transport subscription's bounded
    /// buffer then takes over. Each container of the worker stream holds at most <see cref="HydrateCacheOptions.MaxBatchSize"/> frames.
    /// This count is the second bound: the first is by bytes, <see cref="HydrateCacheOptions.MaxInFlightBytes"/>, which
    /// <see cref="HydrateSiloSubscriptions"/> keeps over everything read and not yet applied.
    /// </summary>
    private const int QueueCacheSize = 64;

    private readonly string _name;
    private readonly IServiceProvider _services;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly IQueueAdapterCache _cache;

    public HydrateQueueAdapterFactory(string name, IServiceProvider services, ILoggerFactory loggerFactory)
    {
        _name = name;
        _services = services;
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = 1 }, name);
        _cache = new SimpleQueueAdapterCache(new SimpleQueueCacheOptions { CacheSize = QueueCacheSize }, name, loggerFactory);
    }

    public static IQueueAdapterFactory Create(IServiceProvider services, string name) =>
        ActivatorUtilities.CreateInstance<HydrateQueueAdapterFactory>(services, name);

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        Task.FromResult<IQueueAdapter>(new HydrateQueueAdapter(_name, _services, CreateReceiver));

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new HydrateDeliveryFailureHandler(() => _services.GetKeyedService<HydrateSiloSubscriptions>(_name)));

    /// <summary>Creates this silo's receiver, a reader of the silo's subscriptions of this transport's channels.</summary>
    private HydrateQueueAdapterReceiver CreateReceiver() =>
        new(_services.GetRequiredKeyedService<HydrateSiloSubscriptions>(_name));
}
