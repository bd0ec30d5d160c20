using HydrateCache.Orleans.Runtime;
using HydrateCache.Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace HydrateCache.Orleans.Grains;

/// <summary>The per-silo worker of one channel (keyed by channel name).</summary>
internal interface IHydrateWorkerGrain : IGrainWithStringKey;

/// <summary>
/// The subscriber of one channel on one silo: it is the implicit subscriber of the channel's worker stream, which the
/// silo's own pulling agent pushes the silo's own transport messages to, and it applies them in its turns, in order,
/// through the channel's receive pipeline (<see cref="HydrateChannel{T}.Apply(TransportMessage, LocalHydratedCache{T})"/>)
/// to the silo-local cache.
/// </summary>
/// <remarks>
/// <para>Why this shape (see docs in the README): Orleans' pulling agents are the only Orleans-native way for a stream
/// provider to deliver into a grain, and a <c>[StatelessWorker]</c> is activated on its caller's silo, so the agent of
/// each silo (every silo has every queue) reaches that silo's own worker. <c>[StatelessWorker(1)]</c> gives exactly one
/// activation per silo and channel and therefore serial, in-order application. The receiver answers the agent's read
/// as soon as a message arrives, which makes the agent a push pump (no 100 ms poll).</para>
/// <para><c>[KeepAlive]</c>: the worker is never collected for idleness; if it is deactivated anyway (a forced
/// collection), the next delivery re-activates it and re-attaches it to the stream through
/// <see cref="IStreamSubscriptionObserver.OnSubscribed"/>.</para>
/// </remarks>
[ImplicitStreamSubscription(HydrateStreamNamespaces.Worker)]
[StatelessWorker(1)]
[KeepAlive]
internal sealed class HydrateWorkerGrain(IServiceProvider services) : Grain, IHydrateWorkerGrain, IStreamSubscriptionObserver, IAsyncObserver<HydrateFrames>
{
    private IHydrateChannelRuntime? _runtime;
    private HydrateSiloSubscriptions? _subscriptions;

    private IHydrateChannelRuntime Runtime => _runtime ??= services.GetRequiredKeyedService<IHydrateChannelRuntime>(this.GetPrimaryKeyString());

    private HydrateSiloSubscriptions Subscriptions => _subscriptions ??= services.GetRequiredKeyedService<HydrateSiloSubscriptions>(Runtime.Transport);

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        return handleFactory.Create<HydrateFrames>().ResumeAsync(this);
    }

    public Task OnNextAsync(HydrateFrames item, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        try
        {
            Runtime.Apply(item);
        }
        finally
        {
            // The frames are applied: the silo's receive budget (HydrateCacheOptions.MaxInFlightBytes) may take more.
            Subscriptions.Release(token);
        }

        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
