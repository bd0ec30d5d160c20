using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// What the pulling agent does when it gives up delivering a container: nothing is faulted (the worker's subscription
/// goes on, and what it missed comes back through loss recovery and peer repair), and the container's bytes leave the
/// silo's receive budget (<see cref="HydrateSiloSubscriptions.Release"/>), so a failed delivery cannot stall the receiver.
/// </summary>
/// <param name="subscriptions">Gets the silo's subscriptions of the transport (on a client there are none, and nothing is released).</param>
internal sealed class HydrateDeliveryFailureHandler(Func<HydrateSiloSubscriptions?> subscriptions) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        subscriptions()?.Release(sequenceToken);
        return Task.CompletedTask;
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken) =>
        Task.CompletedTask;
}
