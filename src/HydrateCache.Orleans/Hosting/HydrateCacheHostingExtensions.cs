using HydrateCache.Orleans.Convergence;
using HydrateCache.Orleans.Runtime;
using HydrateCache.Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace Orleans.Hosting;

/// <summary>Adds HydrateCache to Orleans silos and cluster clients.</summary>
public static class HydrateCacheHostingExtensions
{
    /// <summary>
    /// Adds HydrateCache to a silo: every transport added in <paramref name="configure"/> becomes an Orleans stream
    /// provider of the same name, and every channel gets a silo-local <see cref="HydrateCache.ILocalHydratedCache{T}"/>
    /// that a per-silo <c>[StatelessWorker(1)]</c> grain, subscribed through that provider, keeps hydrated.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Adds transports and channels.</param>
    /// <returns>The silo builder, for chaining.</returns>
    public static ISiloBuilder AddHydrateCacheStreams(this ISiloBuilder builder, Action<HydrateCacheBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        if (!builder.Services.Any(d => d.ServiceType == typeof(HydratePeerPlacementDirector)))
        {
            // Peer repair reads another silo's cache through a grain placed on that silo.
            builder.AddPlacementDirector<HydratePeerPlacement, HydratePeerPlacementDirector>();
        }

        configure(new HydrateCacheBuilder(
            builder.Services,
            isSilo: true,
            name => builder.AddPersistentStreams(name, HydrateQueueAdapterFactory.Create, stream =>
            {
                stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);

                // Every silo reads every queue: each silo's receiver has its own transport subscription (broadcast).
                stream.ConfigurePartitionBalancing((_, _) => new HydrateBroadcastQueueBalancer());
            })));
        return builder;
    }

    /// <summary>
    /// Adds HydrateCache to a cluster client, so it can publish (with <see cref="HydrateCache.Orleans.IHydratePublisher{T}"/> or the stream
    /// API). A client holds no cache.
    /// </summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="configure">Adds transports and channels.</param>
    /// <returns>The client builder, for chaining.</returns>
    public static IClientBuilder AddHydrateCacheStreams(this IClientBuilder builder, Action<HydrateCacheBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        if (!builder.Services.Any(d => d.ImplementationType == typeof(HydrateClientRecovery)))
        {
            builder.Services.AddSingleton<ILifecycleParticipant<IClusterClientLifecycle>, HydrateClientRecovery>();
        }

        configure(new HydrateCacheBuilder(
            builder.Services,
            isSilo: false,
            name => builder.AddPersistentStreams(name, HydrateQueueAdapterFactory.Create, stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly))));
        return builder;
    }
}
