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
/// <para>When <see cref="Sweep"/> forgets tombstones it raises the <see cref="TombstoneHorizon"/> to the highest version
/// among them. From then on, an update for a key the cache does not hold is applied only when it is newer than the
/// horizon; see <see cref="TombstoneHorizon"/> for what that costs.</para>
/// <para>An invalidation (<see cref="MessageKind.Invalidate"/>) drops the value but keeps its version as an
/// <em>invalidated</em> entry: an older upsert arriving late is refused, a newer one replaces it, and
/// <see cref="GetOrLoadAsync"/> loads the value from the channel's source with that version. Invalidated entries are not
/// forgotten by <see cref="Sweep"/>: the key still has a value, held by the source.</para>
/// <para>Reads are lock-free <see cref="ConcurrentDictionary{TKey,TValue}"/> lookups; writes use compare-and-swap.
/// <see cref="Changed"/> is raised in version order per key (see <see cref="ILocalHydratedCache{T}.Changed"/>).</para>
/// </remarks>
public sealed partial class LocalHydratedCache<T> : ILocalHydratedCache<T>, IDisposable
{
    private const long Never = long.MaxValue;

    /// <summary>The <see cref="Entry.ReadDeadline"/> of an entry without a value (a tombstone or an invalidation): before every read clock.</summary>
    private const long Unreadable = long.MinValue;

    /// <summary>
    /// How much earlier than its expiry a read may treat an entry as expired on the coarse clock: the resolution of
    /// <see cref="Environment.TickCount64"/> (a jiffy on Linux, 15.6 ms on Windows) at most, so a read never returns an
    /// entry after it expired.
    /// </summary>
    private const long CoarseClockSlackMs = 16;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    /// <summary>
    /// Whether reads check a TTL on <see cref="Environment.TickCount64"/> (a few ns) instead of reading the wall clock
    /// (tens of ns): with <see cref="TimeProvider.System"/> only; any other provider is read exactly, so tests that move
    /// a fake clock see expiry to the tick.
    /// </summary>
    private readonly bool _coarseReadClock;
    private readonly TimeSpan _tombstoneRetention;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly ITimer? _sweepTimer;

    /// <summary>The queues that order <see cref="Changed"/> per key; a key always maps to the same stripe.</summary>
    private readonly ChangeStripe[] _changeStripes = [.. Enumerable.Range(0, 32).Select(_ => new ChangeStripe())];

    /// <summary>The highest version among the forgotten tombstones; only rises (except on <see cref="Clear"/>).</summary>
    private Horizon? _horizon;

    /// <summary>Initializes a new instance of the <see cref="LocalHydratedCache{T}"/> class.</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    public LocalHydratedCache(LocalHydratedCacheOptions? options = null)
    {
        options ??= new LocalHydratedCacheOptions();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.TombstoneRetention, TimeSpan.Zero, "options.TombstoneRetention");
        _timeProvider = options.TimeProvider;
        _coarseReadClock = ReferenceEquals(_timeProvider, TimeProvider.System);
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

    /// <summary>
    /// Gets the tombstone horizon: the highest version (by hybrid timestamp, then sender id) among the tombstones that
    /// <see cref="Sweep"/> has forgotten, or <see langword="null"/> while no tombstone has been forgotten. Exposed for
    /// diagnostics; ties between equal timestamps are broken by a sender id that this property does not show.
    /// </summary>
    /// <value>Only rises while the cache lives; <see cref="Clear"/> resets it to <see langword="null"/>.</value>
    /// <remarks>
    /// <para>An update (upsert or delete) for a key the cache does not hold is refused as
    /// <see cref="HydrateApplyResult.Stale"/> when its version is not newer than the horizon: once the tombstone of a
    /// key is forgotten, the cache cannot tell a late, older upsert of that key from a key it never saw, so it refuses
    /// both. A key the cache holds (a value or a tombstone) is compared with its own version as usual.</para>
    /// <para>The trade-off: a key written before the horizon and never seen by this cache is refused too, although it may
    /// be legitimate. Such an update comes from a message delayed longer than the retention, or from another copy of
    /// the cache (a peer repair) that either missed the key's later delete or holds a write this cache lost. Refusing
    /// it is chosen because resurrecting a deleted key is worse: it would stay wrong with nothing to correct it. The
    /// cost is that such a key stays missing here until it is written again with a newer version, and copies compared
    /// by digest keep differing on it. Keep <see cref="LocalHydratedCacheOptions.TombstoneRetention"/> long relative to
    /// the transport's delays and to how long repairs take, so the horizon stays well behind live traffic.</para>
    /// </remarks>
    public HybridTimestamp? TombstoneHorizon => Volatile.Read(ref _horizon)?.Version;

    /// <inheritdoc />
    public bool TryGet(string key, [MaybeNullWhen(false)] out T value)
    {
        if (_entries.TryGetValue(key, out var entry) && IsReadable(entry))
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
        if (_entries.TryGetValue(key, out var found) && IsReadable(found))
        {
            entry = new HydratedEntry<T>(found.Value!, found.Version, found.SenderId, found.Ttl);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>Gets the version the cache holds for <paramref name="key"/>, live, invalidated or tombstoned.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="version">The version, when the key is known.</param>
    /// <param name="senderId">The sender of that version, when the key is known.</param>
    /// <returns><see langword="true"/> when the cache holds a value, an invalidated entry or a tombstone for the key.</returns>
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
    /// <returns>
    /// What the update did. An update for a key the cache does not hold is <see cref="HydrateApplyResult.Stale"/> when
    /// its version is not newer than the <see cref="TombstoneHorizon"/>. An upsert with the version of an invalidated
    /// entry is its value (loaded from the source, or copied from the publisher's cache) and fills it.
    /// </returns>
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
        else if (message.Kind == MessageKind.Invalidate)
        {
            outcome = HydrateApplyResult.Invalidated;
            replacement = Entry.Invalidated(message.Version, message.SenderId);
        }
        else if (expiresAt <= now)
        {
            outcome = HydrateApplyResult.Expired;
            replacement = Entry.Tombstone(message.Version, message.SenderId, now);
        }
        else
        {
            outcome = HydrateApplyResult.Applied;
            replacement = new Entry(message.Payload, message.Version, message.SenderId, message.Ttl, expiresAt, ReadDeadline(expiresAt, now), isTombstone: false, tombstoneSinceTicks: 0);
        }

        // With handlers, an install and the queueing of its event are one step under the key's stripe (see RaiseChanged).
        var stripe = Changed is null ? null : _changeStripes[(int)(HashKey(message.Key) % (ulong)_changeStripes.Length)];
        while (true)
        {
            if (!_entries.TryGetValue(message.Key, out var current))
            {
                // Sweep raises the horizon before it removes a tombstone, so a key found missing here is covered.
                if (Volatile.Read(ref _horizon) is { } horizon
                    && VersionOrder.Compare(message.Version, message.SenderId, horizon.Version, horizon.SenderId) <= 0)
                {
                    return HydrateApplyResult.Stale;
                }

                if (TryInstall(message.Key, null, replacement, outcome, raise: outcome == HydrateApplyResult.Applied, stripe))
                {
                    return outcome;
                }

                continue;
            }

            var order = VersionOrder.Compare(message.Version, message.SenderId, current.Version, current.SenderId);
            if (order == 0 && !(current.IsInvalidated && message.Kind == MessageKind.Upsert))
            {
                return HydrateApplyResult.Duplicate;
            }

            if (order < 0)
            {
                return HydrateApplyResult.Stale;
            }

            if (TryInstall(message.Key, current, replacement, outcome, raise: outcome == HydrateApplyResult.Applied || current.IsVisible(now), stripe))
            {
                return outcome;
            }
        }
    }

    /// <summary>Replaces <paramref name="current"/> (adds when <see langword="null"/>) and, when <paramref name="raise"/>, raises <see cref="Changed"/>.</summary>
    private bool TryInstall(string key, Entry? current, Entry replacement, HydrateApplyResult outcome, bool raise, ChangeStripe? stripe)
    {
        if (stripe is null || !raise)
        {
            return current is null ? _entries.TryAdd(key, replacement) : _entries.TryUpdate(key, replacement, current);
        }

        lock (stripe.Gate)
        {
            if (!(current is null ? _entries.TryAdd(key, replacement) : _entries.TryUpdate(key, replacement, current)))
            {
                return false;
            }

            stripe.Pending.Enqueue(new HydratedCacheChangedEventArgs<T>(key, outcome, replacement.Value, replacement.Version));
        }

        RaiseChanged(stripe);
        return true;
    }

    /// <summary>
    /// Releases the values of expired entries (keeping their versions as tombstones) and forgets tombstones older than
    /// <see cref="LocalHydratedCacheOptions.TombstoneRetention"/>, raising the <see cref="TombstoneHorizon"/> to the
    /// highest version forgotten. Runs on a timer unless the sweep interval is disabled.
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
                if (now - entry.TombstoneSinceTicks < _tombstoneRetention.Ticks)
                {
                    continue;
                }

                // Raise the horizon first: an Apply that finds the key missing must already see it. If the removal
                // then loses to a newer write, the horizon holds a version this key has already passed, which is harmless.
                RaiseHorizon(entry.Version, entry.SenderId);
                if (_entries.TryRemove(pair))
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

    /// <summary>
    /// Removes every entry and tombstone and resets the <see cref="TombstoneHorizon"/>, for example before reloading a
    /// snapshot: whatever the snapshot holds is accepted, however old its versions.
    /// </summary>
    public void Clear()
    {
        _entries.Clear();
        Volatile.Write(ref _horizon, null);
    }

    /// <summary>Stops the sweep timer and cancels the loads from the source in flight.</summary>
    public void Dispose()
    {
        _sweepTimer?.Dispose();

        // Cancelled, not disposed: Dispose may run more than once (a host disposes the cache its owner disposed too).
        _disposing.Cancel();
    }

    private long NowTicks() => _timeProvider.GetUtcNow().UtcTicks;

    /// <summary>Whether a read returns <paramref name="entry"/>: it holds a value whose <see cref="Entry.ReadDeadline"/> has not passed.</summary>
    /// <remarks>One field decides it (<see cref="Entry.ReadDeadline"/> is <see cref="Unreadable"/> for an entry without a value), so a hit without a TTL reads no clock and a hit with one reads the clock once.</remarks>
    private bool IsReadable(Entry entry)
    {
        var deadline = entry.ReadDeadline;
        return deadline == Never || ReadClock() < deadline;
    }

    /// <summary>The clock <see cref="Entry.ReadDeadline"/> is on: milliseconds of <see cref="Environment.TickCount64"/>, or <see cref="NowTicks"/>.</summary>
    private long ReadClock() => _coarseReadClock ? Environment.TickCount64 : NowTicks();

    /// <summary>
    /// The expiry <paramref name="expiresAtTicks"/> (UTC ticks, read at <paramref name="nowTicks"/>) on the read clock:
    /// on the coarse clock the remaining time from now, less <see cref="CoarseClockSlackMs"/>, so reads may stop
    /// returning the entry up to twice the slack early, never late; <see cref="Sweep"/> still expires by the wall clock.
    /// </summary>
    private long ReadDeadline(long expiresAtTicks, long nowTicks) =>
        expiresAtTicks == Never ? Never
        : !_coarseReadClock ? expiresAtTicks
        : Environment.TickCount64 + ((expiresAtTicks - nowTicks) / TimeSpan.TicksPerMillisecond) - CoarseClockSlackMs;

    private void RaiseHorizon(HybridTimestamp version, Guid senderId)
    {
        Horizon? raised = null;
        while (true)
        {
            var current = Volatile.Read(ref _horizon);
            if (current is not null && VersionOrder.Compare(version, senderId, current.Version, current.SenderId) <= 0)
            {
                return;
            }

            raised ??= new Horizon(version, senderId);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _horizon, raised, current), current))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Raises the queued <see cref="Changed"/> events of a stripe, unless another thread is raising them already. Per
    /// key, events are queued in the order their entries were installed (install and queueing are one step under the
    /// stripe's lock), which is version order, since an entry is only ever replaced by a newer version; one thread at a
    /// time raises a stripe's events, in queue order. No lock is held while handlers run, so a handler may read and write
    /// the cache: an update it applies is queued and raised after it returns.
    /// </summary>
    private void RaiseChanged(ChangeStripe stripe)
    {
        lock (stripe.Gate)
        {
            if (stripe.Draining)
            {
                return;
            }

            stripe.Draining = true;
        }

        try
        {
            while (true)
            {
                HydratedCacheChangedEventArgs<T>? next;
                lock (stripe.Gate)
                {
                    if (!stripe.Pending.TryDequeue(out next))
                    {
                        stripe.Draining = false;
                        return;
                    }
                }

                InvokeChanged(next);
            }
        }
        catch
        {
            lock (stripe.Gate)
            {
                stripe.Draining = false;
            }

            throw;
        }
    }

    private void InvokeChanged(HydratedCacheChangedEventArgs<T> args)
    {
        var handlers = Changed;
        if (handlers is null)
        {
            return;
        }

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

    /// <summary>Queued <see cref="Changed"/> events of the keys that hash to one stripe, and whether a thread is raising them.</summary>
    private sealed class ChangeStripe
    {
        public Lock Gate { get; } = new();

        public Queue<HydratedCacheChangedEventArgs<T>> Pending { get; } = new();

        public bool Draining { get; set; }
    }

    /// <summary>A version (timestamp and sender), swapped as one reference so readers never see half of it.</summary>
    private sealed record Horizon(HybridTimestamp Version, Guid SenderId);

    private sealed class Entry(T? value, HybridTimestamp version, Guid senderId, Ttl? ttl, long expiresAtTicks, long readDeadline, bool isTombstone, long tombstoneSinceTicks, bool isInvalidated = false)
    {
        public T? Value { get; } = value;

        public HybridTimestamp Version { get; } = version;

        public Guid SenderId { get; } = senderId;

        public Ttl? Ttl { get; } = ttl;

        public long ExpiresAtTicks { get; } = expiresAtTicks;

        /// <summary>Gets the expiry on the cache's read clock (see <see cref="ReadClock"/>), for <see cref="TryGet"/>; <see cref="Never"/> without a TTL, <see cref="Unreadable"/> without a value.</summary>
        public long ReadDeadline { get; } = readDeadline;

        public bool IsTombstone { get; } = isTombstone;

        public long TombstoneSinceTicks { get; } = tombstoneSinceTicks;

        /// <summary>Gets a value indicating whether this is the version of an invalidation: the value lives in the source.</summary>
        public bool IsInvalidated { get; } = isInvalidated;

        /// <summary>Gets a value indicating whether the entry holds a value (possibly expired): neither a tombstone nor invalidated.</summary>
        public bool HasValue { get; } = !isTombstone && !isInvalidated;

        public static Entry Tombstone(HybridTimestamp version, Guid senderId, long nowTicks) =>
            new(default, version, senderId, null, Never, Unreadable, isTombstone: true, nowTicks);

        public static Entry Invalidated(HybridTimestamp version, Guid senderId) =>
            new(default, version, senderId, null, Never, Unreadable, isTombstone: false, tombstoneSinceTicks: 0, isInvalidated: true);

        public bool IsVisible(long nowTicks) => HasValue && (ExpiresAtTicks == Never || nowTicks < ExpiresAtTicks);
    }
}
