using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// The receive half of a HydrateCache stream provider on one silo, as the silo's pulling agent sees it: a read waits for
/// what the silo's own transport subscriptions (<see cref="HydrateSiloSubscriptions"/>) received. The subscriptions
/// live as long as the silo, so this receiver only starts and stops reading.
/// </summary>
internal sealed class HydrateQueueAdapterReceiver(HydrateSiloSubscriptions subscriptions) : IQueueAdapterReceiver
{
    private readonly CancellationTokenSource _stopping = new();

    public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

    public Task Initialize(TimeSpan timeout, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        using var read = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        return await subscriptions.ReadAsync(maxCount, read.Token);
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    /// <summary>The agent purged these containers from its cache: whatever the worker has not released yet is released now.</summary>
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            if (message is HydrateFramesContainer container)
            {
                subscriptions.Release(container.Token);
            }
        }

        return Task.CompletedTask;
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken) => _stopping.CancelAsync();
}
