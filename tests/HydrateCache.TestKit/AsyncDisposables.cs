namespace HydrateCache.TestKit;

/// <summary>
/// What a test opened (connections, transports, data sources), disposed newest first, so a transport goes before the
/// connection it uses.
/// </summary>
public sealed class AsyncDisposables : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _items = [];

    /// <summary>Keeps <paramref name="item"/> to dispose later and returns it.</summary>
    public T Add<T>(T item)
        where T : IAsyncDisposable
    {
        lock (_items)
        {
            _items.Add(item);
        }

        return item;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] items;
        lock (_items)
        {
            items = [.. _items];
            _items.Clear();
        }

        for (var i = items.Length - 1; i >= 0; i--)
        {
            await items[i].DisposeAsync();
        }
    }
}
