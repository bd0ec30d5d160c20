using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HydrateCache;

/// <summary>
/// The instruments of one channel instance on the <see cref="HydrateCacheDiagnostics.MeterName"/> meter, every measurement
/// tagged with the channel name. The meter comes from an <see cref="IMeterFactory"/> when one is given (channels built
/// from the same factory share its meter and instruments, and silos with factories of their own share nothing);
/// otherwise this object owns a meter of its own and disposes it.
/// </summary>
/// <remarks>
/// Recording costs nothing when nobody listens: every method checks <see cref="Instrument.Enabled"/> first, and tags are
/// a stack-allocated <see cref="TagList"/> of strings created once.
/// </remarks>
internal sealed class HydrateCacheMetrics : IDisposable
{
    public const string ChannelTag = "hydratecache.channel";
    public const string ResultTag = "hydratecache.result";
    public const string DropReasonTag = "hydratecache.drop_reason";

    private static readonly string? Version = typeof(HydrateCacheMetrics).Assembly.GetName().Version?.ToString();

    /// <summary>Propagation lag buckets, in seconds: sub-millisecond in-process delivery up to a minute behind.</summary>
    private static readonly double[] LagBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Warm start buckets, in seconds: a small cache copied from a peer up to a large load from a source.</summary>
    private static readonly double[] WarmStartBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Meter? _ownedMeter;
    private readonly KeyValuePair<string, object?> _channel;
    private readonly string[] _dropReasons = Enum.GetNames<HydrateDropReason>();
    private readonly Counter<long> _published;
    private readonly Counter<long> _received;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _repaired;
    private readonly Counter<long> _loaded;
    private readonly Counter<long> _gaps;
    private readonly Counter<long> _recovered;
    private readonly Counter<long> _unrecovered;
    private readonly Counter<long> _retransmitted;
    private readonly Counter<long> _retransmitRequests;
    private readonly Counter<long> _heartbeats;
    private readonly Counter<long> _controlBytes;
    private readonly Counter<long> _handlerFailures;
    private readonly Counter<long> _invalidations;
    private readonly Histogram<double> _lag;
    private readonly Histogram<double> _warmStart;
    private Func<int>? _entries;
    private volatile bool _disposed;

    public HydrateCacheMetrics(IMeterFactory? meterFactory, string channel)
    {
        var options = new MeterOptions(HydrateCacheDiagnostics.MeterName) { Version = Version };
        Meter meter;
        if (meterFactory is null)
        {
            meter = _ownedMeter = new Meter(options);
        }
        else
        {
            meter = meterFactory.Create(options);
        }

        _channel = new KeyValuePair<string, object?>(ChannelTag, channel);
        _published = meter.CreateCounter<long>("hydratecache.messages.published", "{message}", "Messages published by channels.");
        _received = meter.CreateCounter<long>("hydratecache.messages.received", "{message}", "Frames received from transports.");
        _dropped = meter.CreateCounter<long>("hydratecache.messages.dropped", "{message}", "Frames dropped (malformed, unknown version, too large, undecodable, too far ahead of the clock, unsigned or badly signed) or lost by the transport, by reason.");
        _applied = meter.CreateCounter<long>("hydratecache.updates.applied", "{update}", "Received updates applied to a cache, by result (applied, removed, expired, invalidated, stale, duplicate).");
        _repaired = meter.CreateCounter<long>("hydratecache.updates.repaired", "{update}", "Entries copied from another copy of the cache (a peer silo's) that changed this one.");
        _loaded = meter.CreateCounter<long>("hydratecache.updates.loaded", "{update}", "Entries loaded from the channel's source that changed the cache.");
        _gaps = meter.CreateCounter<long>("hydratecache.recovery.gaps", "{message}", "Messages found missing: gaps in a sender's sequence numbers, or a tail its heartbeat announced.");
        _recovered = meter.CreateCounter<long>("hydratecache.recovery.recovered", "{message}", "Missed messages that arrived after a retransmission request.");
        _unrecovered = meter.CreateCounter<long>("hydratecache.recovery.unrecovered", "{message}", "Missed messages given up as unrecoverable by retransmission (repaired otherwise).");
        _retransmitted = meter.CreateCounter<long>("hydratecache.recovery.retransmitted", "{message}", "Messages a sender published again on request.");
        _retransmitRequests = meter.CreateCounter<long>("hydratecache.recovery.requests", "{request}", "Retransmission requests (NAKs) sent.");
        _heartbeats = meter.CreateCounter<long>("hydratecache.control.heartbeats", "{heartbeat}", "Heartbeats sent by publishing channels.");
        _controlBytes = meter.CreateCounter<long>("hydratecache.control.bytes", "By", "Bytes of control messages (heartbeats, requests, replies) sent.");
        _handlerFailures = meter.CreateCounter<long>("hydratecache.handler.failures", "{message}", "Delivered messages whose handler threw.");
        _invalidations = meter.CreateCounter<long>("hydratecache.messages.invalidated", "{message}", "Upserts published as invalidations (key and version only) instead of their value.");
        _lag = meter.CreateHistogram<double>(
            "hydratecache.propagation.lag",
            "s",
            "Time from an update's version (its publish time on the sender's hybrid clock) to its receipt; 0 when the sender's clock is ahead.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        _warmStart = meter.CreateHistogram<double>(
            "hydratecache.warm_start.duration",
            "s",
            "Time a cold cache took to become warm, from when its channel started receiving (from peers on a silo, from the source in HydrateAsync).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WarmStartBuckets });

        // Observable instruments are not shared by the meter: one per channel, silent once the channel is disposed.
        meter.CreateObservableGauge("hydratecache.cache.entries", ObserveEntries, "{entry}", "Entries a channel's local cache holds (live values, not tombstones).");
    }

    /// <summary>Reports the entry count of the channel's cache in the <c>hydratecache.cache.entries</c> gauge (the first cache given wins).</summary>
    public void ObserveCache(Func<int> count) => Interlocked.CompareExchange(ref _entries, count, null);

    public void OnPublished() => Add(_published, 1);

    public void OnReceived() => Add(_received, 1);

    public void OnHandlerFailed() => Add(_handlerFailures, 1);

    public void OnInvalidationSent() => Add(_invalidations, 1);

    public void OnRepaired() => Add(_repaired, 1);

    public void OnLoaded(long count) => Add(_loaded, count);

    public void OnGaps(long count) => Add(_gaps, count);

    public void OnRecovered(long count) => Add(_recovered, count);

    public void OnUnrecovered(long count) => Add(_unrecovered, count);

    public void OnRetransmitted() => Add(_retransmitted, 1);

    public void OnRetransmitRequested() => Add(_retransmitRequests, 1);

    public void OnHeartbeatSent() => Add(_heartbeats, 1);

    public void OnControlSent(int bytes) => Add(_controlBytes, bytes);

    public void OnApplied(HydrateApplyResult result)
    {
        if (!_applied.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            _channel,
            { ResultTag, ResultName(result) },
        };
        _applied.Add(1, tags);
    }

    /// <summary>Gets the value of the <see cref="ResultTag"/> tag (of metrics and process spans) for <paramref name="result"/>.</summary>
    public static string ResultName(HydrateApplyResult result) => result switch
    {
        HydrateApplyResult.Applied => "applied",
        HydrateApplyResult.Removed => "removed",
        HydrateApplyResult.Expired => "expired",
        HydrateApplyResult.Stale => "stale",
        HydrateApplyResult.Invalidated => "invalidated",
        _ => "duplicate",
    };

    public void OnDropped(HydrateDropReason reason, long count)
    {
        if (!_dropped.Enabled)
        {
            return;
        }

        var index = (int)reason;
        var tags = new TagList
        {
            _channel,
            { DropReasonTag, (uint)index < (uint)_dropReasons.Length ? _dropReasons[index] : reason.ToString() },
        };
        _dropped.Add(count, tags);
    }

    /// <summary>Records the propagation lag of an update received now.</summary>
    public void OnLag(HybridTimestamp version, TimeProvider timeProvider)
    {
        if (!_lag.Enabled)
        {
            return;
        }

        var lagTicks = timeProvider.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks - (version.PhysicalTime * TimeSpan.TicksPerMillisecond);
        _lag.Record(lagTicks > 0 ? (double)lagTicks / TimeSpan.TicksPerSecond : 0, _channel);
    }

    public void OnWarmStart(TimeSpan elapsed)
    {
        if (_warmStart.Enabled)
        {
            _warmStart.Record(elapsed.TotalSeconds, _channel);
        }
    }

    /// <summary>Silences the gauge and disposes the meter when this object owns it.</summary>
    public void Dispose()
    {
        _disposed = true;
        _ownedMeter?.Dispose();
    }

    private void Add(Counter<long> counter, long value)
    {
        if (counter.Enabled)
        {
            counter.Add(value, _channel);
        }
    }

    private IEnumerable<Measurement<long>> ObserveEntries()
    {
        if (_disposed || _entries is not { } entries)
        {
            return [];
        }

        return [new Measurement<long>(entries(), _channel)];
    }
}
