using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Formats.Cbor;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache;

/// <summary>
/// A typed channel over any <see cref="ITransport"/>: publishes versioned updates of <typeparamref name="T"/> values and
/// delivers the updates published by every instance of the same channel (this one included).
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// <para>Each instance is one sender: it has its own <see cref="SenderId"/>, a hybrid logical clock that stamps every
/// message with a version greater than any version it issued or received, and a sequence number per message.</para>
/// <para>Loss recovery is on by default (<see cref="HydrateChannelOptions{T}.Recovery"/>): a channel that publishes keeps
/// its recent messages and sends them again when a receiver reports it missed them; a channel that receives asks for
/// what it missed, and raises <see cref="LossDetected"/> for what could not be recovered. Both use the transport topic
/// followed by <c>.control</c>. Dispose the channel to stop them.</para>
/// <para>The channel does not own the transport: dispose the transport yourself, after the channel.</para>
/// <para>Received frames that are malformed, of an unknown wire version, too large, written by another codec, or versioned
/// too far ahead of this process's clock (<see cref="HydrateChannelOptions{T}.MaxClockSkew"/>) are dropped, counted in
/// <see cref="Statistics"/> and logged with rate limiting; they never end a subscription.</para>
/// <para>With keys in <see cref="HydrateChannelOptions{T}.Security"/>, the channel signs every frame it writes and drops
/// those it reads that do not verify, and encrypts the payloads it writes (see <see cref="HydrateSecurityOptions"/>).</para>
/// </remarks>
public sealed class HydrateChannel<T> : IAsyncDisposable
{
    private readonly ITransport _transport;
    private readonly HybridLogicalClock _clock;
    private readonly LocalHydratedCache<T>? _localCache;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxMessageBytes;
    private readonly long _maxClockSkewMs;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _dropLog;
    private readonly ChannelRecovery? _recovery;
    private readonly IHydrationSource<T>? _source;
    private readonly ChannelSecurity? _security;
    private readonly HydrateInvalidationMode _invalidationMode;
    private readonly int _maxBroadcastPayloadBytes;
    private readonly HydrateCacheMetrics _metrics;
    private readonly string _messagingSystem;
    private readonly string _publishSpanName;
    private readonly string _processSpanName;
    private readonly SlotPool<FrameBuffers> _frameBuffers = new();
    private readonly SlotPool<CborReader> _envelopeReaders = new();
    private long _sequence;
    private int _warmStartRecorded;

    /// <summary>Initializes a new instance of the <see cref="HydrateChannel{T}"/> class.</summary>
    /// <param name="transport">The transport to publish and subscribe through.</param>
    /// <param name="name">The channel name; all instances with the same name (and topic prefix) exchange updates.</param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <exception cref="HydrateCodecException">No codec was given and <typeparamref name="T"/> cannot be mapped to CBOR.</exception>
    public HydrateChannel(ITransport transport, string name, HydrateChannelOptions<T>? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options ??= new HydrateChannelOptions<T>();
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 64, "options.MaxMessageBytes");
        if (options.MaxClockSkew <= TimeSpan.Zero && options.MaxClockSkew != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxClockSkew, "options.MaxClockSkew must be positive or Timeout.InfiniteTimeSpan.");
        }

        _transport = transport;
        Name = name;
        Topic = (options.TopicPrefix ?? string.Empty) + name;
        Codec = options.Codec ?? new CborCodec<T>();
        SenderId = options.SenderId ?? Guid.NewGuid();
        _timeProvider = options.TimeProvider;
        _clock = new HybridLogicalClock(_timeProvider);
        _localCache = options.LocalCache;
        _maxMessageBytes = options.MaxMessageBytes;
        _maxClockSkewMs = options.MaxClockSkew == Timeout.InfiniteTimeSpan ? -1 : Math.Max(1, options.MaxClockSkew.Ticks / TimeSpan.TicksPerMillisecond);
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HydrateChannel<T>>();
        _dropLog = LogRateLimiter.PerDropReason(_timeProvider, options.DropLogInterval);
        _source = options.Source;
        _security = ChannelSecurity.Create(name, Topic, Topic + ControlFrame.TopicSuffix, options.Security);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Invalidation.MaxBroadcastPayloadBytes, "options.Invalidation.MaxBroadcastPayloadBytes");
        _invalidationMode = options.Invalidation.Mode;
        _maxBroadcastPayloadBytes = options.Invalidation.MaxBroadcastPayloadBytes;
        if (_source is not null)
        {
            _localCache?.AttachLoader(new KeyLoader(this, _source));
        }

        _metrics = new HydrateCacheMetrics(options.MeterFactory, name);
        _messagingSystem = MessagingSystem(transport);
        _publishSpanName = name + " publish";
        _processSpanName = name + " process";
        Statistics = new HydrateChannelStatistics { Metrics = _metrics };
        if (_localCache is { } localCache)
        {
            _metrics.ObserveCache(() => localCache.Count);
        }

        if (options.Recovery.Enabled)
        {
            options.Recovery.Validate();
            _recovery = new ChannelRecovery(new RecoveryHost(this), transport, options.Recovery, _timeProvider, _logger);
        }

        Health = new HydrateChannelHealth(name, _timeProvider, _recovery is null ? null : options.Recovery.SelfRepairTime, () => MissingSequences);
        if (_localCache is not null)
        {
            Health.TrackWarmth(_localCache.WhenWarmAsync(CancellationToken.None));
        }
    }

    /// <summary>Gets the channel name.</summary>
    public string Name { get; }

    /// <summary>Gets the transport topic: the topic prefix followed by the channel name.</summary>
    public string Topic { get; }

    /// <summary>Gets the id this instance stamps on its messages.</summary>
    public Guid SenderId { get; }

    /// <summary>Gets the payload codec.</summary>
    public ICodec<T> Codec { get; }

    /// <summary>Gets the live counters of this instance.</summary>
    public HydrateChannelStatistics Statistics { get; }

    /// <summary>
    /// Gets the health facts of this channel's cache (subscription, warmth, connection, unrepaired losses), which
    /// <see cref="HydrateAsync"/> and <see cref="SubscribeAsync"/> keep up to date; report them with <see cref="HydrateHealthCheck"/>.
    /// </summary>
    public HydrateChannelHealth Health { get; }

    /// <summary>
    /// Raised when this instance may have missed updates for good: the transport reported lost messages, messages of a
    /// sender could not be retransmitted (see <see cref="HydrateRecoveryOptions"/>), or, while <see cref="HydrateAsync"/>
    /// or <see cref="SubscribeAsync"/> runs, the transport reconnected. The cache may be stale until it is repaired
    /// otherwise (from the <see cref="HydrateChannelOptions{T}.Source"/>; the Orleans integration repairs from peer silos).
    /// Handlers run on a receive, timer or transport thread and must not block; an exception they throw is logged.
    /// </summary>
    public event EventHandler<HydrateLossEventArgs>? LossDetected;

    /// <summary>Gets the sequences of other senders this instance currently misses and waits for (loss recovery).</summary>
    internal ulong MissingSequences => _recovery?.Missing ?? 0;

    /// <summary>Gets the control topic of loss recovery, or <see langword="null"/> when recovery is off.</summary>
    internal string? ControlTopic => _recovery?.ControlTopic;

    /// <summary>Publishes a new value of <paramref name="key"/> to every subscriber of the channel.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <param name="value">The new value.</param>
    /// <param name="ttl">The lifetime of the value; <see langword="null"/> when it does not expire.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the message (and the local cache, if any, shows it).</returns>
    /// <exception cref="HydratePayloadTooLargeException">The encoded message exceeds <see cref="HydrateChannelOptions{T}.MaxMessageBytes"/>.</exception>
    public ValueTask PublishAsync(string key, T value, Ttl? ttl = null, CancellationToken cancellationToken = default) =>
        SendAsync(CreateUpsert(key, value, ttl), cancellationToken);

    /// <summary>Publishes the deletion of <paramref name="key"/> to every subscriber of the channel.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the message (and the local cache, if any, shows it).</returns>
    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(CreateDelete(key), cancellationToken);

    /// <summary>Creates an upsert stamped with this instance's next version and sequence number, without sending it.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <param name="value">The new value.</param>
    /// <param name="ttl">The lifetime of the value; <see langword="null"/> when it does not expire.</param>
    /// <returns>The message, to pass to <see cref="SendAsync(TypedMessage{T}, CancellationToken)"/>.</returns>
    public TypedMessage<T> CreateUpsert(string key, T value, Ttl? ttl = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (ttl is { } lifetime && lifetime.Duration < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), lifetime.Duration, "A TTL duration must be at least one millisecond.");
        }

        return new TypedMessage<T>(key, MessageKind.Upsert, value, ttl, _clock.Next(), SenderId, NextSequence());
    }

    /// <summary>Creates a delete stamped with this instance's next version and sequence number, without sending it.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <returns>The message, to pass to <see cref="SendAsync(TypedMessage{T}, CancellationToken)"/>.</returns>
    public TypedMessage<T> CreateDelete(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new TypedMessage<T>(key, MessageKind.Delete, default, null, _clock.Next(), SenderId, NextSequence());
    }

    /// <summary>
    /// Sends a message created by <see cref="CreateUpsert"/> or <see cref="CreateDelete"/> (or relays one received from
    /// another instance) and, on success, applies it to the configured local cache. An upsert is sent as an invalidation
    /// when <see cref="HydrateChannelOptions{T}.Invalidation"/> says so (counted in
    /// <see cref="HydrateChannelStatistics.Invalidations"/>); the local cache still gets its value.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the message.</returns>
    /// <remarks>With a listener on <see cref="HydrateCacheDiagnostics.ActivitySourceName"/>, the send runs in a
    /// <c>{channel} publish</c> span; the W3C trace context of the current activity (that span, or the application's)
    /// travels in the frame, and every receiver's <c>{channel} process</c> span links to it.</remarks>
    public async ValueTask SendAsync(TypedMessage<T> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = HydrateCacheTracing.StartPublish(_publishSpanName, _messagingSystem, Topic, Name);
        var frame = EncodeCore(message, HydrateCacheTracing.CurrentContext(), out var invalidated);
        if (message.SenderId == SenderId)
        {
            _recovery?.OnSending(message.Sequence, frame, message.Version);
        }

        try
        {
            await _transport.PublishAsync(Topic, frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            _logger.ChannelPublishFailed(ex, Name);
            throw;
        }

        Statistics.OnPublished();
        if (invalidated)
        {
            Statistics.OnInvalidationSent();
        }

        _localCache?.Apply(message);
    }

    /// <summary>
    /// Subscribes to the channel and invokes <paramref name="handler"/> for every update, serially and in transport order,
    /// until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="handler">Invoked for every decoded update, including this instance's own (their <see cref="TypedMessage{T}.SenderId"/> equals <see cref="SenderId"/>).
    /// An exception it throws is logged and counted; the subscription continues.</param>
    /// <param name="cancellationToken">Stops the subscription.</param>
    /// <returns>A task that completes (without throwing) once the subscription has stopped after cancellation; it faults only if subscribing fails.</returns>
    public async Task SubscribeAsync(Func<TypedMessage<T>, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        await SubscribeCoreAsync((message, token) => DeliverAsync(message, handler, token), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes to the channel and applies every update to <paramref name="cache"/> until cancelled.</summary>
    /// <param name="cache">The cache to keep hydrated.</param>
    /// <param name="cancellationToken">Stops the subscription.</param>
    /// <returns>A task that completes once the subscription has stopped after cancellation.</returns>
    /// <remarks>
    /// <para>Each received message goes through <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/>, the receive
    /// pipeline the Orleans integration uses too.</para>
    /// <para>With a <see cref="HydrateChannelOptions{T}.Source"/>, <see cref="LocalHydratedCache{T}.GetOrLoadAsync"/> of
    /// <paramref name="cache"/> loads invalidated keys from it, and the cache is loaded from it once subscribed (so nothing
    /// published meanwhile is lost or rolled back) and marked warm, and loaded again after each <see cref="LossDetected"/>,
    /// at most once per <see cref="MinSourceReloadInterval"/>; a failing load is logged and retried with backoff.</para>
    /// </remarks>
    public Task HydrateAsync(LocalHydratedCache<T> cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _metrics.ObserveCache(() => cache.Count);
        var started = _timeProvider.GetTimestamp();
        if (_source is null)
        {
            TrackWarmStart(cache, started);
        }

        Health.TrackWarmth(cache.WhenWarmAsync(CancellationToken.None));
        if (_source is not null)
        {
            cache.AttachLoader(new KeyLoader(this, _source));
        }

        return SubscribeCoreAsync(
            (message, _) =>
            {
                Apply(message, cache);
                return ValueTask.CompletedTask;
            },
            _source is null ? null : token => RunSourceAsync(cache, started, token),
            cancellationToken);
    }

    /// <summary>The shortest time between two loads from the source that <see cref="HydrateAsync"/> makes after losses.</summary>
    public static readonly TimeSpan MinSourceReloadInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Loads <paramref name="cache"/> from the configured <see cref="HydrateChannelOptions{T}.Source"/>, applying every
    /// entry with one version taken from this channel's clock before the load starts (see <see cref="IHydrationSource{T}"/>).
    /// Entries that changed the cache are counted in <see cref="HydrateChannelStatistics.Loaded"/>.
    /// </summary>
    /// <param name="cache">The cache to load.</param>
    /// <param name="cancellationToken">A token to cancel the load.</param>
    /// <returns>How many entries changed the cache.</returns>
    /// <exception cref="InvalidOperationException">No source is configured.</exception>
    public async Task<int> LoadFromSourceAsync(LocalHydratedCache<T> cache, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var source = _source ?? throw new InvalidOperationException($"Channel '{Name}' has no source: set HydrateChannelOptions<T>.Source.");
        var started = _timeProvider.GetTimestamp();
        var version = _clock.Next();
        var changed = 0;
        var read = 0;
        var held = new ArrayBufferWriter<byte>();
        var loaded = new ArrayBufferWriter<byte>();
        await foreach (var entry in source.LoadAsync(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            read++;
            if (cache.TryGetEntry(entry.Key, out var current) && current.Ttl == entry.Ttl && EncodesEqual(current.Value, entry.Value, held, loaded))
            {
                // Already current: re-versioning it would only make the copies of other silos look different.
                continue;
            }

            var result = cache.Apply(new TypedMessage<T>(entry.Key, MessageKind.Upsert, entry.Value, entry.Ttl, version, SenderId, 0));
            if (result is HydrateApplyResult.Applied or HydrateApplyResult.Expired)
            {
                changed++;
            }
        }

        Statistics.OnLoaded(changed);
        _logger.SourceLoaded(Name, read, changed, (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
        return changed;
    }

    /// <summary>Compares two values by their encoding: the codec, not <see cref="object.Equals(object)"/>, defines what reaches a cache.</summary>
    private bool EncodesEqual(T left, T right, ArrayBufferWriter<byte> leftBuffer, ArrayBufferWriter<byte> rightBuffer)
    {
        leftBuffer.ResetWrittenCount();
        rightBuffer.ResetWrittenCount();
        Codec.Encode(left, leftBuffer);
        Codec.Encode(right, rightBuffer);
        return leftBuffer.WrittenSpan.SequenceEqual(rightBuffer.WrittenSpan);
    }

    /// <summary>Loads from the source once subscribed, then after every loss, until cancelled.</summary>
    private async Task RunSourceAsync(LocalHydratedCache<T> cache, long started, CancellationToken cancellationToken)
    {
        using var lost = new SemaphoreSlim(0, 1);
        EventHandler<HydrateLossEventArgs> onLoss = (_, _) =>
        {
            if (lost.CurrentCount == 0)
            {
                try
                {
                    lost.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Already signalled.
                }
            }
        };
        LossDetected += onLoss;
        try
        {
            var backoff = new TransportBackoff(timeProvider: _timeProvider);
            while (!cancellationToken.IsCancellationRequested)
            {
                var losses = Health.LossCount;
                await backoff.RetryAsync(
                    token => new ValueTask<int>(LoadFromSourceAsync(cache, token)),
                    (ex, failures, delay) =>
                    {
                        _logger.SourceLoadFailed(ex, Name, failures, delay);
                        return true;
                    },
                    cancellationToken).ConfigureAwait(false);
                cache.MarkWarm();
                RecordWarmStart(started);
                Health.ReportRepaired(losses);
                await lost.WaitAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(MinSourceReloadInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
        finally
        {
            LossDetected -= onLoss;
        }
    }

    /// <summary>
    /// The receive pipeline: counts what the transport lost before <paramref name="message"/>, decodes it (dropping and
    /// counting a bad frame), advances this instance's clock past its version, and applies it to <paramref name="cache"/>
    /// by version, counting the outcome in <see cref="Statistics"/>.
    /// </summary>
    /// <param name="message">A message received from the transport on this channel's topic.</param>
    /// <param name="cache">The cache to apply the update to.</param>
    /// <returns>What applying did, or <see langword="null"/> when there was nothing to apply (a dropped frame or a loss notice, both counted).</returns>
    public HydrateApplyResult? Apply(TransportMessage message, LocalHydratedCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (Receive(message, out var trace) is not { } update)
        {
            return null;
        }

        using var span = HydrateCacheTracing.StartProcess(_processSpanName, _messagingSystem, Topic, Name, trace, update);
        var result = cache.Apply(update);
        Statistics.OnApplied(result);
        span.SetResult(result);
        return result;
    }

    /// <summary>
    /// Tells loss recovery that <paramref name="message"/> arrived from the transport, for a receiver that queues frames
    /// before it calls <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/> (the Orleans integration does): a
    /// frame waiting in a local backlog is then never mistaken for a lost one and requested again. Reads the envelope
    /// only (no payload); a frame it cannot read is left to <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/> to count.
    /// </summary>
    /// <param name="message">A message received from the transport on this channel's topic.</param>
    public void OnArrived(TransportMessage message)
    {
        if (_recovery is not null && !message.IsLossNotice && _security?.Verify(message.Body, control: false) is null
            && HydrateFrame.TryReadMetadata(message.Body, out var metadata))
        {
            _recovery.OnData(metadata.SenderId, metadata.Sequence);
        }
    }

    /// <summary>
    /// Applies a frame that repairs <paramref name="cache"/> (copied from another copy of the cache, not received from the
    /// transport): decodes it, advances this instance's clock past its version and applies it by version. A repair
    /// that changed the cache is counted in <see cref="HydrateChannelStatistics.Repaired"/>; a bad frame is dropped
    /// and counted like a received one.
    /// </summary>
    /// <param name="frame">The frame, as <see cref="Encode"/> wrote it.</param>
    /// <param name="cache">The cache to repair.</param>
    /// <returns>What applying did, or <see langword="null"/> when the frame was dropped.</returns>
    public HydrateApplyResult? ApplyRepair(ReadOnlyMemory<byte> frame, LocalHydratedCache<T> cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var message = DecodeCore(frame, out var reason, out _, out _, out _, out _);
        if (message is null)
        {
            Drop(reason);
            return null;
        }

        _clock.Observe(message.Version);
        var result = cache.Apply(message);
        if (result is not (HydrateApplyResult.Stale or HydrateApplyResult.Duplicate))
        {
            Statistics.OnRepaired();
        }

        return result;
    }

    /// <summary>
    /// Starts loss recovery now rather than at the first publish or subscription: subscribes to the channel's control
    /// topic (retrying in the background until it succeeds or the channel is disposed), from where this instance
    /// answers retransmission requests for what it publishes and learns the versions other senders announce.
    /// </summary>
    /// <param name="receiving"><see langword="true"/> for an instance that receives the channel's messages through
    /// <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/> (the Orleans integration's silos): it also tracks
    /// every sender's sequence numbers from now on and asks for what it misses. <see langword="false"/> for one that
    /// only publishes (so that its first write is already ordered after what the others announced); it must not ask for
    /// messages it never subscribed to. <see cref="HydrateAsync"/> and <see cref="SubscribeAsync"/> start receiving themselves.</param>
    /// <param name="cancellationToken">Stops waiting (not the recovery).</param>
    /// <returns>A task that completes when the control topic subscription is established (at once when recovery is off).</returns>
    /// <remarks>A receiving instance whose <see cref="HydrateChannelOptions{T}.LocalCache"/> is not warm yet records, when
    /// the cache is marked warm, how long that took since this call (<c>hydratecache.warm_start.duration</c>).</remarks>
    public Task StartRecoveryAsync(bool receiving, CancellationToken cancellationToken = default)
    {
        if (receiving && _localCache is not null)
        {
            TrackWarmStart(_localCache, _timeProvider.GetTimestamp());
        }

        return _recovery is null ? Task.CompletedTask : _recovery.StartAsync(receiving).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops loss recovery (heartbeats, answers to retransmission requests and the control topic subscription) and
    /// stops reporting metrics: the channel's meter is disposed when the channel owns it (no <see cref="HydrateChannelOptions{T}.MeterFactory"/>),
    /// and its cache is no longer reported in <c>hydratecache.cache.entries</c>.
    /// </summary>
    /// <returns>A task that completes when recovery has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_recovery is not null)
        {
            await _recovery.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
    }

    /// <summary>Records, once per instance, how long a cold cache this instance receives into takes to be marked warm (by whoever warms it).</summary>
    private void TrackWarmStart(LocalHydratedCache<T> cache, long started)
    {
        if (cache.IsWarm || Volatile.Read(ref _warmStartRecorded) != 0)
        {
            return;
        }

        _ = cache.WhenWarmAsync().ContinueWith(
            static (_, state) =>
            {
                var (channel, started) = ((HydrateChannel<T>, long))state!;
                channel.RecordWarmStart(started);
            },
            (this, started),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    /// <summary>Records the warm start that began at <paramref name="started"/> (a timestamp), unless one was recorded already.</summary>
    private void RecordWarmStart(long started)
    {
        if (Interlocked.Exchange(ref _warmStartRecorded, 1) == 0)
        {
            _metrics.OnWarmStart(_timeProvider.GetElapsedTime(started));
        }
    }

    /// <summary>Holds a transport subscription of this channel's topic until cancelled, running <paramref name="whileSubscribed"/> once it is made.</summary>
    private async Task SubscribeCoreAsync(TransportMessageHandler handler, Func<CancellationToken, Task>? whileSubscribed, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        _ = _recovery?.StartAsync(receiving: true);

        ITransportSubscription subscription;
        try
        {
            subscription = await _transport.SubscribeAsync(Topic, handler, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            Health.ReportSubscribeFailed(ex);
            throw;
        }

        _logger.ChannelSubscribed(Name, Topic, SenderId);
        Health.ReportSubscribed();
        EventHandler<TransportConnectionEventArgs> onConnectionChanged = (_, e) =>
        {
            // The loss first: a health check between the two never sees a reconnected channel that is not possibly stale.
            if (e.IsConnected)
            {
                RaiseLossDetected(new HydrateLossEventArgs(Name, HydrateLossReason.Reconnected, null, 0));
            }

            Health.ReportConnectionChanged(e.IsConnected);
        };
        _transport.ConnectionChanged += onConnectionChanged;
        try
        {
            if (whileSubscribed is not null)
            {
                await whileSubscribed(cancellationToken).ConfigureAwait(false);
            }

            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _transport.ConnectionChanged -= onConnectionChanged;
            await subscription.DisposeAsync().ConfigureAwait(false);
            Health.ReportUnsubscribed();
            _logger.ChannelUnsubscribed(Name, Topic);
        }
    }

    /// <summary>
    /// Encodes a message into a frame of the wire format, as <see cref="SendAsync"/> sends it (for example to copy
    /// entries of a cache to another process, which applies them with <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/>
    /// or <see cref="TryDecode"/>). An upsert that <see cref="HydrateChannelOptions{T}.Invalidation"/> keeps from being
    /// broadcast is encoded as an invalidation, so copies of a cache never carry what the channel does not broadcast.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <returns>The frame.</returns>
    /// <exception cref="HydratePayloadTooLargeException">The frame exceeds <see cref="HydrateChannelOptions{T}.MaxMessageBytes"/>.</exception>
    public byte[] Encode(TypedMessage<T> message) => EncodeCore(message, default, out _);

    /// <summary>
    /// Encodes a message into a frame that carries <paramref name="trace"/> (the publish span's context) when it has one;
    /// an upsert travels as an invalidation (<paramref name="invalidated"/>) when <see cref="HydrateChannelOptions{T}.Invalidation"/> says so.
    /// </summary>
    private byte[] EncodeCore(TypedMessage<T> message, HydrateCacheTracing.TraceContext trace, out bool invalidated)
    {
        ArgumentNullException.ThrowIfNull(message);

        // The payload and the envelope are written into pooled buffers; the frame is the one allocation per message.
        var buffers = _frameBuffers.TryTake(out var slot) ?? new FrameBuffers();
        var frame = EncodeCore(message, trace, buffers, out invalidated);

        // Reached only when encoding succeeded (buffers in an unknown state are dropped); large ones are not kept.
        if (frame.Length <= FrameBuffers.MaxPooledBytes)
        {
            _frameBuffers.Return(slot, buffers);
        }

        return frame;
    }

    private byte[] EncodeCore(TypedMessage<T> message, HydrateCacheTracing.TraceContext trace, FrameBuffers buffers, out bool invalidated)
    {
        var kind = message.Kind;
        ArrayBufferWriter<byte>? payload = null;
        if (kind == MessageKind.Upsert && _invalidationMode != HydrateInvalidationMode.Always)
        {
            payload = buffers.Payload;
            payload.ResetWrittenCount();
            Codec.Encode(message.Payload!, payload);
        }

        invalidated = kind == MessageKind.Upsert
            && (_invalidationMode == HydrateInvalidationMode.Always
                || (_invalidationMode == HydrateInvalidationMode.AboveSize && payload!.WrittenCount > _maxBroadcastPayloadBytes));
        if (invalidated)
        {
            kind = MessageKind.Invalidate;
            payload = null;
        }

        var envelope = new HydrateEnvelope(
            kind,
            message.Key,
            message.Version,
            message.SenderId,
            message.Sequence,
            payload is null ? null : message.Ttl,
            payload is null ? null : Codec.Id,
            payload is null ? default : payload.WrittenMemory)
        {
            TraceParent = trace.Parent,
            TraceState = trace.State,
        };
        var frame = _security is null ? envelope.ToArray(buffers.Envelope) : Secure(envelope, buffers.Envelope);
        if (frame.Length > _maxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(frame.Length, _maxMessageBytes, $"channel '{Name}'");
        }

        return frame;
    }

    /// <summary>
    /// Decodes a received frame. Bad frames are counted in <see cref="Statistics"/>, logged with rate limiting and
    /// return <see langword="null"/>. A good one advances this instance's clock past its version, so later local writes
    /// order after it.
    /// </summary>
    /// <param name="frame">The frame bytes.</param>
    /// <returns>The update, or <see langword="null"/> when the frame was dropped.</returns>
    public TypedMessage<T>? Decode(ReadOnlyMemory<byte> frame) => DecodeReceived(frame, out _);

    /// <summary>Decodes a received frame like <see cref="Decode(ReadOnlyMemory{byte})"/>, with the publish span's trace context it carried.</summary>
    private TypedMessage<T>? DecodeReceived(ReadOnlyMemory<byte> frame, out HydrateCacheTracing.TraceContext trace)
    {
        Statistics.OnReceived();
        var message = DecodeCore(frame, out var reason, out var senderId, out var exception, out var sequence, out trace);
        if (senderId is { } arrived)
        {
            // Arrived, usable or not: a retransmission would not be any better, so it is not a gap.
            _recovery?.OnData(arrived, sequence);
        }

        if (message is null)
        {
            Drop(reason);
            if (_dropLog.ShouldLog(reason, out var suppressed))
            {
                if (senderId is { } sender)
                {
                    _logger.PayloadRejected(exception, Name, sender, reason, suppressed);
                }
                else
                {
                    _logger.EnvelopeRejected(Name, frame.Length, reason, suppressed);
                }
            }

            return null;
        }

        _clock.Observe(message.Version);
        _metrics.OnLag(message.Version, _timeProvider);
        return message;
    }

    /// <summary>
    /// Decodes a frame without counting, logging or advancing this instance's clock: for a second reader of a frame that
    /// <see cref="Decode"/> or <see cref="Apply(TransportMessage, LocalHydratedCache{T})"/> already accounts for. It
    /// refuses the same frames they drop, those too far ahead of the clock (<see cref="HydrateChannelOptions{T}.MaxClockSkew"/>) included.
    /// </summary>
    /// <param name="frame">The frame bytes.</param>
    /// <param name="message">The update, when the frame is valid.</param>
    /// <returns><see langword="true"/> when the frame is a valid update of this channel's codec.</returns>
    public bool TryDecode(ReadOnlyMemory<byte> frame, [NotNullWhen(true)] out TypedMessage<T>? message)
    {
        message = DecodeCore(frame, out _, out _, out _, out _, out _);
        return message is not null;
    }

    private TypedMessage<T>? DecodeCore(ReadOnlyMemory<byte> frame, out HydrateDropReason reason, out Guid? senderId, out Exception? exception, out ulong sequence, out HydrateCacheTracing.TraceContext trace)
    {
        senderId = null;
        exception = null;
        sequence = 0;
        trace = default;
        if (_security is not null && frame.Length <= _maxMessageBytes && _security.Verify(frame, control: false) is { } rejected)
        {
            // Checked before anything of the frame is believed: not even its sender and sequence reach loss recovery.
            reason = rejected;
            return null;
        }

        var reader = _envelopeReaders.TryTake(out var readerSlot) ?? HydrateEnvelope.CreateReader();
        var result = HydrateEnvelope.TryRead(frame, _maxMessageBytes, reader, out var envelope);
        reader.Reset(ReadOnlyMemory<byte>.Empty);
        _envelopeReaders.Return(readerSlot, reader);
        if (result != EnvelopeReadResult.Success)
        {
            reason = ToDropReason(result);
            return null;
        }

        senderId = envelope.SenderId;
        sequence = envelope.Sequence;
        trace = new HydrateCacheTracing.TraceContext(envelope.TraceParent, envelope.TraceState);
        if (IsTooFarAhead(envelope.Version))
        {
            reason = HydrateDropReason.ClockSkew;
            return null;
        }

        T? payload = default;
        if (envelope.Kind == MessageKind.Upsert)
        {
            if (!string.Equals(envelope.CodecId, Codec.Id, StringComparison.Ordinal))
            {
                reason = HydrateDropReason.CodecMismatch;
                return null;
            }

            byte[]? plaintext = null;
            if (envelope.EncryptionKeyId is not null)
            {
                plaintext = Decrypt(envelope, out reason);
                if (plaintext is null)
                {
                    return null;
                }
            }

            try
            {
                payload = Codec.Decode(plaintext is null ? envelope.Payload.Span : plaintext);
            }
            catch (Exception ex)
            {
                reason = HydrateDropReason.PayloadUndecodable;
                exception = ex;
                return null;
            }
            finally
            {
                if (plaintext is not null)
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }
            }
        }

        reason = default;
        return new TypedMessage<T>(envelope.Key, envelope.Kind, payload, envelope.Ttl, envelope.Version, envelope.SenderId, envelope.Sequence);
    }

    /// <summary>Physical times are 0..long.MaxValue and the wall clock plus at most TimeSpan.MaxValue fits a long: no overflow.</summary>
    private bool IsTooFarAhead(HybridTimestamp version) =>
        _maxClockSkewMs >= 0 && version.PhysicalTime > _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() + _maxClockSkewMs;

    /// <summary>The transport half of the receive pipeline: counts the losses reported before the message, then decodes it.</summary>
    private TypedMessage<T>? Receive(TransportMessage message, out HydrateCacheTracing.TraceContext trace)
    {
        trace = default;
        if (message.LostBefore > 0)
        {
            Drop(HydrateDropReason.TransportLoss, message.LostBefore);
            RaiseLossDetected(new HydrateLossEventArgs(Name, HydrateLossReason.TransportLoss, null, message.LostBefore));
            if (message.IsLossNotice)
            {
                return null;
            }
        }

        return DecodeReceived(message.Body, out trace);
    }

    private async ValueTask DeliverAsync(TransportMessage transportMessage, Func<TypedMessage<T>, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        if (Receive(transportMessage, out var trace) is not { } message)
        {
            return;
        }

        using var span = HydrateCacheTracing.StartProcess(_processSpanName, _messagingSystem, Topic, Name, trace, message);
        try
        {
            await handler(message, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            span.SetError(ex);
            Statistics.OnHandlerFailed();
            _logger.ChannelHandlerFailed(ex, Name);
        }
    }

    /// <summary>Encrypts the payload of an upsert (when the channel encrypts) and signs the frame (when it signs).</summary>
    private byte[] Secure(HydrateEnvelope envelope, CborWriter writer)
    {
        var security = _security!;
        if (envelope.Kind == MessageKind.Upsert && security.Encrypts)
        {
            var key = security.CurrentEncryptionKey()
                ?? throw new InvalidOperationException($"Channel '{Name}' encrypts payloads, but its key provider has no valid current encryption key.");
            var nonce = new byte[PayloadCipher.NonceLength];
            var ciphertext = security.Encrypt(key, envelope.Key, envelope.Version, envelope.SenderId, envelope.Payload.Span, nonce);
            envelope = envelope with { Payload = ciphertext, EncryptionKeyId = key.Id, EncryptionNonce = nonce };
        }

        if (!security.Signs)
        {
            return envelope.ToArray(writer);
        }

        var signingKey = security.CurrentSigningKey()
            ?? throw new InvalidOperationException($"Channel '{Name}' signs frames, but its key provider has no valid current signing key.");
        return envelope.ToSignedArray(writer, signingKey, security.Domain(control: false));
    }

    /// <summary>Decrypts the payload of a received upsert; <see langword="null"/> with the drop reason when it cannot.</summary>
    private byte[]? Decrypt(in HydrateEnvelope envelope, out HydrateDropReason reason)
    {
        if (_security is null)
        {
            // Encrypted with a key this channel was not given.
            reason = HydrateDropReason.UnknownKey;
            return null;
        }

        return _security.Decrypt(envelope, out reason);
    }

    private static HydrateDropReason ToDropReason(EnvelopeReadResult result) => result switch
    {
        EnvelopeReadResult.NotAFrame => HydrateDropReason.NotAFrame,
        EnvelopeReadResult.UnsupportedVersion => HydrateDropReason.UnsupportedVersion,
        EnvelopeReadResult.InvalidField => HydrateDropReason.InvalidField,
        EnvelopeReadResult.TooLarge => HydrateDropReason.TooLarge,
        _ => HydrateDropReason.Malformed,
    };

    private void Drop(HydrateDropReason reason, long count = 1)
    {
        Statistics.OnDropped(reason, count);
    }

    private ulong NextSequence() => (ulong)Interlocked.Increment(ref _sequence);

    /// <summary>The <c>messaging.system</c> of spans: the transport's type name without "Transport", in lower case ("redis", "nats", "inmemory").</summary>
    private static string MessagingSystem(ITransport transport)
    {
        var name = transport.GetType().Name;
        return (name.EndsWith("Transport", StringComparison.Ordinal) && name.Length > "Transport".Length ? name[..^"Transport".Length] : name).ToLowerInvariant();
    }

    private void RaiseLossDetected(HydrateLossEventArgs args)
    {
        Health.ReportLoss(args.Reason);
        try
        {
            LossDetected?.Invoke(this, args);
        }
        catch (Exception ex)
        {
            _logger.ChannelHandlerFailed(ex, Name);
        }
    }

    /// <summary>The scratch buffers one frame is encoded in: the payload, then the envelope around it.</summary>
    private sealed class FrameBuffers
    {
        /// <summary>The largest frame whose buffers are kept for the next one; larger frames leave them to the GC.</summary>
        public const int MaxPooledBytes = 64 * 1024;

        public ArrayBufferWriter<byte> Payload { get; } = new();

        public CborWriter Envelope { get; } = HydrateEnvelope.CreateWriter();
    }

    /// <summary>Loads single keys from the source for <see cref="LocalHydratedCache{T}.GetOrLoadAsync"/>, counting them.</summary>
    private sealed class KeyLoader(HydrateChannel<T> channel, IHydrationSource<T> source) : IHydrationKeyLoader<T>
    {
        public bool LoadsMissingKeys => channel._invalidationMode == HydrateInvalidationMode.Always;

        public (HybridTimestamp Version, Guid SenderId) NextVersion() => (channel._clock.Next(), channel.SenderId);

        public ValueTask<HydrationEntry<T>?> LoadAsync(string key, CancellationToken cancellationToken)
        {
            channel.Statistics.OnKeyLoaded();
            return source.LoadAsync(key, cancellationToken);
        }
    }

    /// <summary>What loss recovery needs from the channel, without making it part of the channel's public surface.</summary>
    private sealed class RecoveryHost(HydrateChannel<T> channel) : IRecoveryHost
    {
        public string Name => channel.Name;

        public string Topic => channel.Topic;

        public Guid SenderId => channel.SenderId;

        public HydrateChannelStatistics Statistics => channel.Statistics;

        public HybridTimestamp CurrentVersion => channel._clock.Current;

        public bool ObserveVersion(Guid sender, HybridTimestamp version)
        {
            if (channel.IsTooFarAhead(version))
            {
                channel.Drop(HydrateDropReason.ClockSkew);
                if (channel._dropLog.ShouldLog(HydrateDropReason.ClockSkew, out var suppressed))
                {
                    channel._logger.PayloadRejected(null, channel.Name, sender, HydrateDropReason.ClockSkew, suppressed);
                }

                return false;
            }

            return channel._clock.Observe(version);
        }

        public void OnControlRejected(EnvelopeReadResult result, int length) => Reject(ToDropReason(result), length);

        public byte[] EncodeControl(ControlFrame control) =>
            control.ToArray(channel._security?.CurrentSigningKey(), channel._security is { } security ? security.Domain(control: true) : default);

        public bool VerifyControl(ReadOnlyMemory<byte> frame)
        {
            if (channel._security?.Verify(frame, control: true) is not { } reason)
            {
                return true;
            }

            Reject(reason, frame.Length);
            return false;
        }

        private void Reject(HydrateDropReason reason, int length)
        {
            channel.Drop(reason);
            if (channel._dropLog.ShouldLog(reason, out var suppressed))
            {
                channel._logger.EnvelopeRejected(channel.Name, length, reason, suppressed);
            }
        }

        public void OnControlLost(long count) => channel.Drop(HydrateDropReason.TransportLoss, count);

        public void OnLoss(HydrateLossEventArgs args) => channel.RaiseLossDetected(args);
    }
}
