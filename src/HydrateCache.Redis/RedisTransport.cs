using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace HydrateCache.Redis;

/// <summary>
/// An <see cref="ITransport"/> over Redis pub/sub (<c>PUBLISH</c> / <c>SUBSCRIBE</c>) through a StackExchange.Redis
/// <see cref="IConnectionMultiplexer"/>. Works with RESP2 and RESP3 (<see cref="ConfigurationOptions.Protocol"/>).
/// </summary>
/// <remarks>
/// <para><b>Ownership</b>: the multiplexer is yours. The transport never disposes or closes it; disposing the transport
/// only removes the transport's own subscriptions and event handlers. Create the multiplexer once per process and share
/// it (StackExchange.Redis multiplexes everything over one or two connections). Endpoints, TLS, passwords and ACL users,
/// the protocol, timeouts and the reconnect policy are all configured on the multiplexer.</para>
/// <para><b>Delivery</b>: at most once. Every subscription of a topic (in this or any other process) receives its own
/// copy of every message published to that topic while it is subscribed. Messages published while a subscriber is
/// disconnected are lost: Redis pub/sub keeps nothing. The transport reports the gap through
/// <see cref="ConnectionChanged"/> (<see langword="false"/>, then <see langword="true"/> once StackExchange.Redis has
/// reconnected and re-subscribed by itself).</para>
/// <para><b>Order</b>: messages from one publisher (one multiplexer) to one topic reach each subscription in publish
/// order; a subscription's handler is invoked serially, never concurrently with itself.</para>
/// <para><b>Channels</b>: the Redis channel of a topic is <see cref="RedisTransportOptions.TopicPrefix"/> + topic, always
/// a literal channel (<see cref="RedisChannel.Literal(string)"/>): <c>*</c>, <c>?</c> and <c>[</c> never act as
/// patterns.</para>
/// <para><b>Size</b>: a publish larger than <see cref="RedisTransportOptions.MaxMessageBytes"/> (4 MiB by default) fails
/// with <see cref="HydratePayloadTooLargeException"/>. Redis itself rejects arguments above <c>proto-max-bulk-len</c>
/// (512 MB by default) and disconnects subscribers that fall more than <c>client-output-buffer-limit pubsub</c> (32 MB by
/// default) behind.</para>
/// <para><b>Client buffer</b>: StackExchange.Redis reads every pushed message at once into an unbounded queue per
/// subscription; the transport moves each one at once into the subscription's <see cref="TransportSubscriptionPump"/>, its
/// only bounded buffer (<see cref="RedisTransportOptions.SubscriptionBuffer"/>), which calls the handler. When a slow
/// handler lets that buffer fill, the oldest waiting message is dropped (by default), counted in <see cref="DroppedCount"/>,
/// logged (<see cref="HydrateEventId.SubscriptionMessagesLost"/>, rate limited) and reported to the handler in band
/// (<see cref="TransportMessage.LostBefore"/>).</para>
/// <para><b>Failures</b>: a publish or subscribe that Redis cannot carry out within the multiplexer's timeouts
/// (<see cref="ConfigurationOptions.AsyncTimeout"/>) fails with <see cref="RedisTransportException"/>.</para>
/// </remarks>
public sealed partial class RedisTransport : ITransport
{
    private readonly IConnectionMultiplexer _multiplexer;
    private readonly ISubscriber _subscriber;
    private readonly ILogger _logger;
    private readonly string _topicPrefix;
    private readonly int _maxMessageBytes;
    private readonly SubscriptionBufferOptions _subscriptionBuffer;
    private readonly CommandFlags _publishFlags;
    private readonly bool _publishCopies;
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();
    private readonly TransportPumpTotals _pumpTotals = new();
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="RedisTransport"/> class over a multiplexer you own.</summary>
    /// <param name="multiplexer">The connection to Redis. It is not disposed by the transport.</param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="multiplexer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its documented range.</exception>
    public RedisTransport(IConnectionMultiplexer multiplexer, RedisTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        options ??= new RedisTransportOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1, "options.MaxMessageBytes");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxMessageBytes, RedisTransportOptions.MaxMessageBytesLimit, "options.MaxMessageBytes");
        ArgumentNullException.ThrowIfNull(options.SubscriptionBuffer, "options.SubscriptionBuffer");
        options.SubscriptionBuffer.Validate("options.SubscriptionBuffer");

        _multiplexer = multiplexer;
        _topicPrefix = options.TopicPrefix ?? string.Empty;
        _maxMessageBytes = options.MaxMessageBytes;
        _subscriptionBuffer = options.SubscriptionBuffer.Clone();
        _publishFlags = options.PublishFlags;
        _publishCopies = (options.PublishFlags & CommandFlags.FireAndForget) != 0;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RedisTransport>();
        _subscriber = multiplexer.GetSubscriber();
        lock (_stateLock)
        {
            // Connected, and (with RESP2) the subscription connection too.
            _connected = _subscriber.IsConnected();
            RecordSocketCounts();
        }

        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        if (!_connected)
        {
            // Not connected yet (AbortOnConnectFail = false): report true once the multiplexer gets there.
            StartWatching();
        }
    }

    /// <summary>
    /// Gets the number of received messages lost because a subscription's buffer was full, over every subscription of
    /// this transport, past and present (the sum of their pumps' <see cref="TransportSubscriptionPump.LostCount"/>).
    /// </summary>
    /// <remarks>See <see cref="RedisTransportOptions.SubscriptionBuffer"/>. Messages lost while disconnected are not
    /// counted here (the client never sees them); <see cref="ConnectionChanged"/> reports those gaps.</remarks>
    public long DroppedCount => _pumpTotals.LostCount;

    /// <summary>Gets the number of times a subscription handler threw. Each failure is logged; the subscription continues.</summary>
    public long HandlerFailureCount => _pumpTotals.HandlerFailures;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <inheritdoc />
    /// <remarks>
    /// <para>By default (<see cref="RedisTransportOptions.PublishFlags"/> = <see cref="CommandFlags.None"/>) the task completes
    /// when Redis has acknowledged the message, which then has been handed to every subscriber connected at that moment.</para>
    /// <para>When the server is unreachable, StackExchange.Redis queues the command until it reconnects or the
    /// multiplexer's <see cref="ConfigurationOptions.AsyncTimeout"/> passes; then the publish fails with a transient
    /// <see cref="RedisTransportException"/>. Cancelling <paramref name="cancellationToken"/> stops the wait, not a command
    /// already queued (the message is copied first in that case, so your buffer is free when the call returns).</para>
    /// </remarks>
    /// <exception cref="HydratePayloadTooLargeException"><paramref name="message"/> is larger than <see cref="RedisTransportOptions.MaxMessageBytes"/>.</exception>
    /// <exception cref="RedisTransportException">Redis could not carry out the publish (timeout, connection failure, server error).</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (message.Length > _maxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(message.Length, _maxMessageBytes, "Redis transport (RedisTransportOptions.MaxMessageBytes)");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var channelName = _topicPrefix + topic;

        // StackExchange.Redis writes the bytes when the command reaches the socket, which may be after this call returns
        // (fire-and-forget, or a cancelled wait): copy then, so the caller may reuse its buffer at once.
        RedisValue value = message.IsEmpty
            ? RedisValue.EmptyString
            : _publishCopies || cancellationToken.CanBeCanceled ? message.ToArray() : message;
        try
        {
            await _subscriber.PublishAsync(RedisChannel.Literal(channelName), value, _publishFlags)
                .WaitAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (TryWrap(ex, $"Publishing to Redis channel '{channelName}' failed", out var wrapped))
        {
            _logger.PublishFailed(ex, channelName);
            throw wrapped;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The returned subscription is established on the server (Redis confirmed the <c>SUBSCRIBE</c>): every message
    /// published afterwards reaches it. StackExchange.Redis re-subscribes by itself after a reconnect.
    /// </remarks>
    /// <exception cref="RedisTransportException">Redis could not confirm the subscription within the multiplexer's timeouts.</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public async ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        cancellationToken.ThrowIfCancellationRequested();

        var channelName = _topicPrefix + topic;
        var channel = RedisChannel.Literal(channelName);
        ChannelMessageQueue queue;
        try
        {
            // Fire-and-forget registers the queue and sends SUBSCRIBE without waiting for the reply; the wait below is ours.
            // (An awaited SUBSCRIBE that fails leaves its queue registered in the multiplexer, re-subscribed on the next
            // reconnect and filling up unread; this way a failed subscribe can always unregister its queue.)
            queue = await _subscriber.SubscribeAsync(channel, CommandFlags.FireAndForget).ConfigureAwait(false);
        }
        catch (Exception ex) when (TryWrap(ex, $"Subscribing to Redis channel '{channelName}' failed", out var wrapped))
        {
            _logger.SubscribeFailed(ex, channelName);
            throw wrapped;
        }

        var subscription = new Subscription(this, topic, channelName, queue, handler);
        try
        {
            await WaitUntilSubscribedAsync(channel, channelName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            _logger.SubscribeFailed(ex, channelName);
            if (TryWrap(ex, $"Subscribing to Redis channel '{channelName}' failed", out var wrapped))
            {
                throw wrapped;
            }

            throw;
        }

        _pumpTotals.Track(subscription.Pump);
        _subscriptions.TryAdd(subscription, 0);
        if (IsDisposed)
        {
            // The transport was disposed while this subscription was being established.
            await subscription.DisposeAsync().ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(true, this);
        }

        subscription.Start();
        _logger.Subscribed(channelName);
        return subscription;
    }

    /// <summary>
    /// Removes every subscription of this transport (a handler call in progress is allowed to finish; messages still
    /// waiting in the client are discarded) and detaches from the multiplexer's events. The multiplexer is not disposed.
    /// </summary>
    /// <returns>A task that completes when the subscriptions are stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _multiplexer.ConnectionFailed -= OnConnectionFailed;
        _multiplexer.ConnectionRestored -= OnConnectionRestored;
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        var stopping = new List<Task>();
        foreach (var subscription in _subscriptions.Keys)
        {
            stopping.Add(subscription.DisposeAsync().AsTask());
        }

        await Task.WhenAll(stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the server has confirmed the SUBSCRIBE that was sent fire-and-forget. A PING through the subscriber goes
    /// over the connection that carries subscriptions, after the SUBSCRIBE, so its reply means the SUBSCRIBE was processed;
    /// <see cref="ISubscriber.SubscribedEndpoint"/> then confirms that StackExchange.Redis recorded it.
    /// </summary>
    private async Task WaitUntilSubscribedAsync(RedisChannel channel, string channelName, CancellationToken cancellationToken)
    {
        var budget = Math.Max(_multiplexer.TimeoutMilliseconds, 1000);
        var deadline = Environment.TickCount64 + budget;
        while (true)
        {
            await _subscriber.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_subscriber.SubscribedEndpoint(channel) is not null)
            {
                return;
            }

            if (Environment.TickCount64 >= deadline)
            {
                throw new RedisTransportException(
                    $"Redis did not confirm the subscription to channel '{channelName}' within {budget} ms.", null, isTransient: true);
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a disposed subscription, keeping its final counts in the transport's totals.</summary>
    private void Retire(Subscription subscription)
    {
        _subscriptions.TryRemove(subscription, out _);
        _pumpTotals.Retire(subscription.Pump);
    }

    /// <summary>Maps a StackExchange.Redis failure to <see cref="RedisTransportException"/>; leaves everything else alone.</summary>
    private static bool TryWrap(Exception exception, string message, out RedisTransportException wrapped)
    {
        switch (exception)
        {
            case RedisTransportException already:
                wrapped = already;
                return true;
            case RedisTimeoutException:
            case TimeoutException:
            case RedisConnectionException:
                wrapped = new RedisTransportException($"{message}: {exception.Message}", exception, isTransient: true);
                return true;
            case RedisException:
                wrapped = new RedisTransportException($"{message}: {exception.Message}", exception, isTransient: false);
                return true;
            default:
                wrapped = null!;
                return false;
        }
    }
}
