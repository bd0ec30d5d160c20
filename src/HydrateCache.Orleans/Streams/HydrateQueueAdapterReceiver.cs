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

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken) => _stopping.CancelAsync();
}
