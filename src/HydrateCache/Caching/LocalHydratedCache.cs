using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache;

/// <summary>
/// The default <see cref="ILocalHydratedCache{T}"/>: a versioned, last-writer-wins map that updates are applied to.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// <para>Every entry remembers the version (hybrid timestamp, then sender id) of the write that produced it. An update
/// replaces an entry only when its version is greater, so duplicated, echoed and reordered messages are harmless.</para>
/// <para>A delete, and a value that expires, leave a tombstone with their version for
/// <see cref="LocalHydratedCacheOptions.TombstoneRetention"/>, so a late, older upsert cannot resurrect the key.</para>
/// <para>Reads are lock-free <see cref="ConcurrentDictionary{TKey,TValue}"/> lookups; writes use compare-and-swap.</para>
/// </remarks>
public sealed partial class LocalHydratedCache<T> : ILocalHydratedCache<T>, IDisposable
{
    private const long Never = long.MaxValue;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _tombstoneRetention;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly ITimer? _sweepTimer;

    /// <summary>Initializes a new instance of the <see cref="LocalHydratedCache{T}"/> class.</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    public LocalHydratedCache(LocalHydratedCacheOptions? options = null)
    {
        options ??= new LocalHydratedCacheOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TombstoneRetention, TimeSpan.Zero, "options.TombstoneRetention");
        _timeProvider = options.TimeProvider;
        _tombstoneRetention = options.TombstoneRetention;
        _name = options.Name;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<LocalHydratedCache<T>>();
        if (options.StartsWarm)
        {
            _warm.TrySetResult();
        }
        if (options.SweepInterval > TimeSpan.Zero)
        {
            // The timer holds the cache weakly: a cache that is dropped without Dispose can still be collected.
            _sweepTimer = _timeProvider.CreateTimer(
                static state =>
                {
                    if (((WeakReference<LocalHydratedCache<T>>)state!).TryGetTarget(out var cache))
                    {
                        cache.Sweep();
                    }
                },
                new WeakReference<LocalHydratedCache<T>>(this),
                options.SweepInterval,
                options.SweepInterval);
        }
    }

    /// <inheritdoc />
    public event EventHandler<HydratedCacheChangedEventArgs<T>>? Changed;

    /// <inheritdoc />
    public int Count
    {
        get
        {
            var now = NowTicks();
            var count = 0;
            foreach (var pair in _entries)
            {
                if (pair.Value.IsVisible(now))
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <inheritdoc />
    public IEnumerable<string> Keys
    {
        get
        {
            foreach (var pair in _entries)
            {
                if (pair.Value.IsVisible(NowTicks()))
                {
                    yield return pair.Key;
                }
            }
        }
    }

    /// <summary>Gets the number of tombstones currently remembered (deleted or expired keys within their retention).</summary>
    public int TombstoneCount
    {
        get
        {
            var count = 0;
            foreach (var pair in _entries)
            {
                if (pair.Value.IsTombstone)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <inheritdoc />
    public bool TryGet(string key, [MaybeNullWhen(false)] out T value)
    {
        if (_entries.TryGetValue(key, out var entry) && !entry.IsTombstone
            && (entry.ExpiresAtTicks == Never || NowTicks() < entry.ExpiresAtTicks))
        {
            value = entry.Value!;
            return true;
        }

        value = default;
        return false;
    }

    /// <inheritdoc />
    public bool TryGetEntry(string key, out HydratedEntry<T> entry)
    {
        if (_entries.TryGetValue(key, out var found) && found.IsVisible(found.ExpiresAtTicks == Never ? 0 : NowTicks()))
        {
            entry = new HydratedEntry<T>(found.Value!, found.Version, found.SenderId, found.Ttl);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>Gets the version the cache holds for <paramref name="key"/>, live or tombstoned.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="version">The version, when the key is known.</param>
    /// <param name="senderId">The sender of that version, when the key is known.</param>
    /// <returns><see langword="true"/> when the cache holds a value or a tombstone for the key.</returns>
    public bool TryGetVersion(string key, out HybridTimestamp version, out Guid senderId)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            version = entry.Version;
            senderId = entry.SenderId;
            return true;
        }

        version = default;
        senderId = default;
        return false;
    }

    /// <summary>Applies an update if it is newer than what the cache holds for its key.</summary>
    /// <param name="message">The update.</param>
    /// <returns>What the update did.</returns>
    public HydrateApplyResult Apply(TypedMessage<T> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var now = NowTicks();
        var expiresAt = message.Ttl is { } ttl ? ttl.ExpiresAt.UtcTicks : Never;
        HydrateApplyResult outcome;
        Entry replacement;
        if (message.Kind == MessageKind.Delete)
        {
            outcome = HydrateApplyResult.Removed;
            replacement = Entry.Tombstone(message.Version, message.SenderId, now);
        }
        else if (expiresAt <= now)
        {
            outcome = HydrateApplyResult.Expired;
            replacement = Entry.Tombstone(message.Version, message.SenderId, now);
        }
        else
        {
            outcome = HydrateApplyResult.Applied;
            replacement = new Entry(message.Payload, message.Version, message.SenderId, message.Ttl, expiresAt, isTombstone: false, tombstoneSinceTicks: 0);
        }

        while (true)
        {
            if (!_entries.TryGetValue(message.Key, out var current))
            {
                if (_entries.TryAdd(message.Key, replacement))
                {
                    if (outcome == HydrateApplyResult.Applied)
                    {
                        RaiseChanged(message.Key, outcome, replacement.Value, message.Version);
                    }

                    return outcome;
                }

                continue;
            }

            var order = VersionOrder.Compare(message.Version, message.SenderId, current.Version, current.SenderId);
            if (order == 0)
            {
                return HydrateApplyResult.Duplicate;
            }

            if (order < 0)
            {
                return HydrateApplyResult.Stale;
            }

            if (_entries.TryUpdate(message.Key, replacement, current))
            {
                if (outcome == HydrateApplyResult.Applied || current.IsVisible(now))
                {
                    RaiseChanged(message.Key, outcome, replacement.Value, message.Version);
                }

                return outcome;
            }
        }
    }

    /// <summary>
    /// Releases the values of expired entries (keeping their versions as tombstones) and forgets tombstones older than
    /// <see cref="LocalHydratedCacheOptions.TombstoneRetention"/>. Runs on a timer unless the sweep interval is disabled.
    /// </summary>
    /// <returns>The number of entries expired plus the number of tombstones removed.</returns>
    public int Sweep()
    {
        var now = NowTicks();
        var expired = 0;
        var forgotten = 0;
        foreach (var pair in _entries)
        {
            var entry = pair.Value;
            if (entry.IsTombstone)
            {
                if (now - entry.TombstoneSinceTicks >= _tombstoneRetention.Ticks && _entries.TryRemove(pair))
                {
                    forgotten++;
                }
            }
            else if (entry.ExpiresAtTicks <= now
                && _entries.TryUpdate(pair.Key, Entry.Tombstone(entry.Version, entry.SenderId, now), entry))
            {
                expired++;
            }
        }

        if (expired + forgotten > 0)
        {
            _logger.CacheSwept(_name, expired, forgotten);
        }

        return expired + forgotten;
    }

    /// <summary>Removes every entry and tombstone, for example before reloading a snapshot.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Stops the sweep timer.</summary>
    public void Dispose() => _sweepTimer?.Dispose();

    private long NowTicks() => _timeProvider.GetUtcNow().UtcTicks;

    private void RaiseChanged(string key, HydrateApplyResult result, T? value, HybridTimestamp version)
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

        var args = new HydratedCacheChangedEventArgs<T>(key, result, value, version);
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<HydratedCacheChangedEventArgs<T>>)handler)(this, args);
            }
            catch (Exception ex)
            {
                _logger.CacheChangeHandlerFailed(ex, _name);
            }
        }
    }

    private sealed class Entry(T? value, HybridTimestamp version, Guid senderId, Ttl? ttl, long expiresAtTicks, bool isTombstone, long tombstoneSinceTicks)
    {
        public T? Value { get; } = value;

        public HybridTimestamp Version { get; } = version;

        public Guid SenderId { get; } = senderId;

        public Ttl? Ttl { get; } = ttl;

        public long ExpiresAtTicks { get; } = expiresAtTicks;

        public bool IsTombstone { get; } = isTombstone;

        public long TombstoneSinceTicks { get; } = tombstoneSinceTicks;

        public static Entry Tombstone(HybridTimestamp version, Guid senderId, long nowTicks) =>
            new(default, version, senderId, null, Never, isTombstone: true, nowTicks);

        public bool IsVisible(long nowTicks) => !IsTombstone && (ExpiresAtTicks == Never || nowTicks < ExpiresAtTicks);
    }
}
