using System.Collections.Concurrent;

namespace HydrateCache;

/// <summary>Reads that load invalidated keys from the source, one load per key however many readers wait for it.</summary>
public sealed partial class LocalHydratedCache<T>
{
    private readonly ConcurrentDictionary<string, PendingLoad> _loads = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposing = new();
    private IHydrationKeyLoader<T>? _loader;

    /// <summary>Gets the number of loads from the source currently in flight (one per key at most).</summary>
    internal int LoadsInFlight => _loads.Count;

    /// <inheritdoc />
    /// <remarks>
    /// <para>A live value is returned at once, without allocating. For an invalidated key (and, on a channel whose
    /// <see cref="HydrateInvalidationOptions.Mode"/> is <see cref="HydrateInvalidationMode.Always"/>, for a key the cache
    /// does not hold) the value is loaded from the channel's <see cref="IHydrationSource{T}"/> with
    /// <see cref="IHydrationSource{T}.LoadAsync(string, CancellationToken)"/>. Concurrent readers of the key share one
    /// load: the first starts it, the others wait for it; it is forgotten once it completes, so a failure reaches every
    /// waiter and the next read tries again. Cancelling <paramref name="cancellationToken"/> stops waiting, not the load.</para>
    /// <para>The loaded value is stored with the version of the invalidation it satisfies (a key the cache did not hold
    /// takes a version of the channel's clock, as a full load does), so an update that arrived meanwhile wins against it
    /// and a load never rolls a newer update back. A reader that finds a newer invalidation than the load in flight was
    /// started for starts a new one. Tombstoned (deleted, expired) keys are not loaded.</para>
    /// <para>Without a source (a cache no channel with a <see cref="HydrateChannelOptions{T}.Source"/> feeds), it reads
    /// like <see cref="TryGetEntry"/>.</para>
    /// </remarks>
    public ValueTask<HydratedEntry<T>?> GetOrLoadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return TryGetEntry(key, out var entry) ? new(entry) : LoadKeyAsync(key, cancellationToken);
    }

    /// <summary>Makes <see cref="GetOrLoadAsync"/> load through <paramref name="loader"/>; the first loader attached stays.</summary>
    internal void AttachLoader(IHydrationKeyLoader<T> loader) => Interlocked.CompareExchange(ref _loader, loader, null);

    private async ValueTask<HydratedEntry<T>?> LoadKeyAsync(string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Volatile.Read(ref _loader) is not { } loader)
            {
                return TryGetEntry(key, out var entry) ? entry : null;
            }

            // The version the value must have: the invalidation's, or any for a key the cache does not know.
            HybridTimestamp version = default;
            Guid senderId = default;
            var required = false;
            if (_entries.TryGetValue(key, out var current))
            {
                if (current.IsVisible(NowTicks()))
                {
                    return new HydratedEntry<T>(current.Value!, current.Version, current.SenderId, current.Ttl);
                }

                if (!current.IsInvalidated)
                {
                    return null;
                }

                (version, senderId, required) = (current.Version, current.SenderId, true);
            }
            else if (!loader.LoadsMissingKeys)
            {
                return null;
            }

            _loads.TryGetValue(key, out var pending);
            if (pending is not null && (!required || VersionOrder.Compare(pending.Version, pending.SenderId, version, senderId) >= 0))
            {
                return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!required)
            {
                (version, senderId) = loader.NextVersion();
            }

            var load = new PendingLoad(version, senderId);
            if (pending is null ? !_loads.TryAdd(key, load) : !_loads.TryUpdate(key, load, pending))
            {
                // Another reader started a load first: look again.
                continue;
            }

            _ = RunLoadAsync(key, load, loader);
            return await load.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one shared load: stores the value by version, forgets the load, then releases its waiters.</summary>
    private async Task RunLoadAsync(string key, PendingLoad load, IHydrationKeyLoader<T> loader)
    {
        HydratedEntry<T>? result = null;
        Exception? failure = null;
        try
        {
            if (await loader.LoadAsync(key, _disposing.Token).ConfigureAwait(false) is { } row)
            {
                Apply(new TypedMessage<T>(key, MessageKind.Upsert, row.Value, row.Ttl, load.Version, load.SenderId, 0));
                if (row.Ttl is not { } ttl || ttl.ExpiresAt.UtcTicks > NowTicks())
                {
                    result = new HydratedEntry<T>(row.Value, load.Version, load.SenderId, row.Ttl);
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        // Forgotten before the waiters resume: a later read finds the value in the cache, or a newer invalidation.
        _loads.TryRemove(new KeyValuePair<string, PendingLoad>(key, load));
        if (failure is null)
        {
            load.Completion.TrySetResult(result);
        }
        else
        {
            load.Completion.TrySetException(failure);
        }
    }

    /// <summary>A load from the source in flight, for the invalidation (or the fresh version) it satisfies.</summary>
    private sealed class PendingLoad(HybridTimestamp version, Guid senderId)
    {
        public HybridTimestamp Version { get; } = version;

        public Guid SenderId { get; } = senderId;

        public TaskCompletionSource<HydratedEntry<T>?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
