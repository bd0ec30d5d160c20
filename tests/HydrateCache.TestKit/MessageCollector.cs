namespace HydrateCache.TestKit;

/// <summary>Collects what a subscription receives and lets a test wait for a number of messages.</summary>
public sealed class MessageCollector<T>
{
    private readonly Lock _lock = new();
    private readonly List<T> _items = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_lock)
            {
                return [.. _items];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public void Add(T item)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _items.Add(item);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until at least <paramref name="count"/> items arrived; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<T>> WaitForCountAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_items.Count >= count)
                {
                    return [.. _items];
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Expected at least {count} messages, received {Count} within {timeout ?? TimeSpan.FromSeconds(15)}.");
            }
        }
    }
}
