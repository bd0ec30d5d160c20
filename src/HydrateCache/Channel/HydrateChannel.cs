using System.Buffers;
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
/// <para>The channel does not own the transport: dispose the transport yourself.</para>
/// <para>Received frames that are malformed, of an unknown wire version, too large, or written by another codec are
/// dropped, counted in <see cref="Statistics"/> and logged with rate limiting; they never end a subscription.</para>
/// </remarks>
public sealed class HydrateChannel<T>
{
    private readonly ITransport _transport;
    private readonly HybridLogicalClock _clock;
    private readonly LocalHydratedCache<T>? _localCache;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxMessageBytes;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _dropLog;
    private long _sequence;

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

        _transport = transport;
        Name = name;
        Topic = (options.TopicPrefix ?? string.Empty) + name;
        Codec = options.Codec ?? new CborCodec<T>();
        SenderId = options.SenderId ?? Guid.NewGuid();
        _timeProvider = options.TimeProvider;
        _clock = new HybridLogicalClock(_timeProvider);
        _localCache = options.LocalCache;
        _maxMessageBytes = options.MaxMessageBytes;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HydrateChannel<T>>();
        _dropLog = LogRateLimiter.PerDropReason(_timeProvider, options.DropLogInterval);
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
    public HydrateChannelStatistics Statistics { get; } = new();

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
    /// another instance) and, on success, applies it to the configured local cache.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the message.</returns>
    public async ValueTask SendAsync(TypedMessage<T> message, CancellationToken cancellationToken = default)
    {
        var frame = Encode(message);
        try
        {
            await _transport.PublishAsync(Topic, frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.ChannelPublishFailed(ex, Name);
            throw;
        }

        Statistics.OnPublished();
        HydrateCacheMetrics.OnPublished(Name);
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

        ITransportSubscription subscription;
        try
        {
            subscription = await _transport.SubscribeAsync(Topic, (message, token) => DeliverAsync(message, handler, token), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        _logger.ChannelSubscribed(Name, Topic, SenderId);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            _logger.ChannelUnsubscribed(Name, Topic);
        }
    }

    /// <summary>Subscribes to the channel and applies every update to <paramref name="cache"/> until cancelled.</summary>
    /// <param name="cache">The cache to keep hydrated.</param>
    /// <param name="cancellationToken">Stops the subscription.</param>
    /// <returns>A task that completes once the subscription has stopped after cancellation.</returns>
    public Task HydrateAsync(LocalHydratedCache<T> cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return SubscribeAsync(
            (message, _) =>
            {
                cache.Apply(message);
                return ValueTask.CompletedTask;
            },
            cancellationToken);
    }

    /// <summary>Encodes a message into a frame, enforcing the size limit.</summary>
    internal byte[] Encode(TypedMessage<T> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArrayBufferWriter<byte>? payload = null;
        if (message.Kind == MessageKind.Upsert)
        {
            payload = new ArrayBufferWriter<byte>();
            Codec.Encode(message.Payload!, payload);
        }

        var envelope = new HydrateEnvelope(
            message.Kind,
            message.Key,
            message.Version,
            message.SenderId,
            message.Sequence,
            message.Ttl,
            payload is null ? null : Codec.Id,
            payload is null ? default : payload.WrittenMemory);
        var frame = envelope.ToArray();
        if (frame.Length > _maxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(frame.Length, _maxMessageBytes, $"channel '{Name}'");
        }

        return frame;
    }

    /// <summary>
    /// Decodes a received frame. Bad frames are counted, logged with rate limiting and return <see langword="null"/>.
    /// A good one advances this instance's clock past its version, so later local writes order after it.
    /// </summary>
    internal TypedMessage<T>? Receive(ReadOnlyMemory<byte> frame)
    {
        Statistics.OnReceived();
        HydrateCacheMetrics.OnReceived(Name);
        var result = HydrateEnvelope.TryRead(frame, _maxMessageBytes, out var envelope);
        if (result != EnvelopeReadResult.Success)
        {
            var reason = result switch
            {
                EnvelopeReadResult.NotAFrame => HydrateDropReason.NotAFrame,
                EnvelopeReadResult.UnsupportedVersion => HydrateDropReason.UnsupportedVersion,
                EnvelopeReadResult.InvalidField => HydrateDropReason.InvalidField,
                EnvelopeReadResult.TooLarge => HydrateDropReason.TooLarge,
                _ => HydrateDropReason.Malformed,
            };
            Drop(reason);
            if (_dropLog.ShouldLog(reason, out var suppressed))
            {
                _logger.EnvelopeRejected(Name, frame.Length, reason, suppressed);
            }

            return null;
        }

        T? payload = default;
        if (envelope.Kind == MessageKind.Upsert)
        {
            if (!string.Equals(envelope.CodecId, Codec.Id, StringComparison.Ordinal))
            {
                RejectPayload(null, envelope.SenderId, HydrateDropReason.CodecMismatch);
                return null;
            }

            try
            {
                payload = Codec.Decode(envelope.Payload.Span);
            }
            catch (Exception ex)
            {
                RejectPayload(ex, envelope.SenderId, HydrateDropReason.PayloadUndecodable);
                return null;
            }
        }

        _clock.Observe(envelope.Version);
        return new TypedMessage<T>(envelope.Key, envelope.Kind, payload, envelope.Ttl, envelope.Version, envelope.SenderId, envelope.Sequence);
    }

    private async ValueTask DeliverAsync(TransportMessage transportMessage, Func<TypedMessage<T>, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        if (transportMessage.LostBefore > 0)
        {
            OnTransportLoss(transportMessage.LostBefore);
            if (transportMessage.IsLossNotice)
            {
                return;
            }
        }

        var message = Receive(transportMessage.Body);
        if (message is null)
        {
            return;
        }

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
            Statistics.OnHandlerFailed();
            HydrateCacheMetrics.OnHandlerFailed(Name);
            _logger.ChannelHandlerFailed(ex, Name);
        }
    }

    private void RejectPayload(Exception? exception, Guid senderId, HydrateDropReason reason)
    {
        Drop(reason);
        if (_dropLog.ShouldLog(reason, out var suppressed))
        {
            _logger.PayloadRejected(exception, Name, senderId, reason, suppressed);
        }
    }

    private void Drop(HydrateDropReason reason, long count = 1)
    {
        Statistics.OnDropped(reason, count);
        HydrateCacheMetrics.OnDropped(Name, reason, count);
    }

    /// <summary>Counts messages the transport lost on this channel's subscription (the transport has logged them).</summary>
    internal void OnTransportLoss(long count) => Drop(HydrateDropReason.TransportLoss, count);

    private ulong NextSequence() => (ulong)Interlocked.Increment(ref _sequence);
}
