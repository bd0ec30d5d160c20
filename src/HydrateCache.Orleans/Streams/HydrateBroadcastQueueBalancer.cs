using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// Gives every silo every queue of a HydrateCache stream provider. Orleans' own balancers give each queue to exactly
/// one silo (competing consumers); HydrateCache needs the opposite: each silo's receiver holds its own transport
/// subscription and gets its own copy of every message, so every silo's cache is hydrated.
/// </summary>
internal sealed class HydrateBroadcastQueueBalancer : IStreamQueueBalancer
{
    private IStreamQueueMapper? _mapper;

    public Task Initialize(IStreamQueueMapper queueMapper)
    {
        _mapper = queueMapper;
        return Task.CompletedTask;
    }

    public Task Shutdown() => Task.CompletedTask;

    public IEnumerable<QueueId> GetMyQueues() =>
        _mapper?.GetAllQueues() ?? throw new InvalidOperationException("The HydrateCache queue balancer was not initialized.");

    // The distribution never changes: every silo always has every queue.
    public bool SubscribeToQueueDistributionChangeEvents(IStreamQueueBalanceListener queueBalanceListener) => true;

    public bool UnSubscribeFromQueueDistributionChangeEvents(IStreamQueueBalanceListener queueBalanceListener) => true;
}
