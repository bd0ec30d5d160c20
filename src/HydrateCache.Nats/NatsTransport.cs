using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace HydrateCache.Nats;

/// <summary>
/// A HydrateCache transport over NATS core publish/subscribe (NATS.Net). Topics map to NATS subjects
/// (<see cref="NatsTransportOptions.TopicPrefix"/> + topic name); every subscription is a plain subscription without a
/// queue group, so every subscriber receives every message.
/// </summary>
/// <remarks>
/// <para><b>Connection ownership.</b> The <see cref="INatsConnection"/> belongs to the caller: the transport never
/// connects it explicitly except on first use, and never disposes it. Dispose the transport first, then the connection.
/// TLS, credentials, reconnect timing and every other client setting come from the connection's <c>NatsOpts</c>.</para>
/// <para><b>Delivery guarantee.</b> At most once. A message reaches the subscriptions whose SUB the server had processed
/// when the message arrived; <see cref="SubscribeAsync"/> completes only after a PING/PONG round trip, so a subscription
/// it returns receives everything published after that.</para>
/// <para><b>Ordering.</b> Messages published through one transport to one topic reach each subscription in the order of
/// the <see cref="PublishAsync"/> calls, also across a reconnect: calls made while the connection is down are queued in
/// call order (NATS.Net alone releases such waiting publishes in no particular order). Each subscription has one reader
/// loop, so its handler is never invoked concurrently with itself.</para>
/// <para><b>Size limit.</b> The server's <c>max_payload</c> (1 MiB by default), read from the connection's server
/// information. A larger message fails with <see cref="HydratePayloadTooLargeException"/> before anything is sent.</para>
/// <para><b>Buffers and drops.</b> Each subscription has one read loop that copies every message NATS.Net received into
/// the subscription's <see cref="TransportSubscriptionPump"/>, whose buffer (<see cref="NatsTransportOptions.SubscriptionBuffer"/>)
/// holds the messages waiting for a busy handler. When it is full, the oldest buffered message is dropped to make room
/// (by default), so the read loop, and NATS.Net's socket reader behind it, never wait: one slow handler never stalls the
/// connection or gets it disconnected as a slow consumer. In front of the read loop, NATS.Net's own client buffer
/// (<see cref="ClientBufferCapacity"/> messages per subscription, also dropping its oldest) only has to absorb the moments
/// the read loop is not scheduled. A message dropped by either is counted in <see cref="DroppedCount"/>, logged (rate
/// limited, <see cref="HydrateEventId.SubscriptionMessagesLost"/>) and reported to the handler in band
/// (<see cref="TransportMessage.LostBefore"/>). A dropped update is a stale cache until the channel's gap detection
/// repairs it.</para>
/// <para><b>Disconnects.</b> NATS.Net reconnects and resubscribes by itself. <see cref="ConnectionChanged"/> reports the
/// loss (<see langword="false"/>) and the recovery (<see langword="true"/>, raised after the resubscriptions reached the
/// server). Messages published by others while this connection was down are lost for its subscriptions. A publish made
/// while the connection is down waits (NATS.Net 3.3.2 default: without limit) until it is back and is then sent; it
/// reaches only the subscribers whose own connections are back by then. Pass a <see cref="CancellationToken"/> or set
/// <c>NatsOpts.PublishTimeoutOnDisconnected</c> (fails after <c>NatsOpts.CommandTimeout</c>) to bound that wait.</para>
/// </remarks>
public sealed partial class NatsTransport : ITransport
{
    /// <summary>
    /// The capacity, in messages, of NATS.Net's client buffer of each subscription (its <c>NatsSubChannelOpts.Capacity</c>,
    /// in <see cref="BoundedChannelFullMode.DropOldest"/> mode): 65,536.
    /// </summary>
    /// <remarks>
    /// <para>The transport's read loop only copies each message into the subscription's pump, whose buffer
    /// (<see cref="NatsTransportOptions.SubscriptionBuffer"/>) is the one that absorbs a slow handler. This buffer only
    /// covers the moments the read loop is not scheduled, so it is a quarter of the 262,144 the transport used when the
    /// handler ran in the read loop. It is still above NATS.Net's default of 16,384: on a 2-core machine, a
    /// 2,000,000-message burst (100-byte messages, about 300,000 msg/s) lost 0.9 % in NATS.Net's buffer in one of two runs
    /// with 16,384, and nothing there in four runs with 65,536. A full buffer holds about 65,536 × (400 bytes + message
    /// size); it grows on demand, so a subscription that keeps up costs nothing.</para>
    /// <para>It stays in DropOldest mode, so NATS.Net's socket reader never blocks (Wait would stall every subscription of
    /// the connection until the server cuts it off as a slow consumer). Its drops, reported by NATS.Net's
    /// <c>MessageDropped</c> event, are counted and reported in band like the pump's.</para>
    /// </remarks>
    internal const int ClientBufferCapacity = 64 * 1024;

    private static readonly NatsRawSerializer<ReadOnlyMemory<byte>> PublishSerializer = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
    private static readonly NatsRawSerializer<NatsMemoryOwner<byte>> ReceiveSerializer = NatsRawSerializer<NatsMemoryOwner<byte>>.Default;

    /// <summary>How long a reconnect waits for the PING/PONG fence before it reports the connection as back anyway.</summary>
    private static readonly TimeSpan ResubscribeFenceTimeout = TimeSpan.FromSeconds(5);

    private readonly INatsConnection _connection;
    private readonly string _prefix;
    private readonly SubscriptionBufferOptions _subscriptionBuffer;
    private readonly TransportBackoffOptions _resubscribeBackoff;
    private readonly int _clientBufferCapacity;
    private readonly NatsSubOpts _subscriptionOptions;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    // Keyed by the NATS.Net subscription object (reference equality), so MessageDropped/SlowConsumerDetected events of
    // the shared connection can be attributed to this transport's subscriptions and ignored for everybody else's.
    private readonly ConcurrentDictionary<object, Subscription> _subscriptions = new(ReferenceEqualityComparer.Instance);
    private readonly TransportPumpTotals _pumpTotals = new();
    private readonly CancellationTokenSource _disposing = new();
    private Task _lastQueuedPublish = Task.CompletedTask;
    private int _queuedPublishes;
    private int _reportedDisconnected;
    private long _resubscriptions;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="NatsTransport"/> class over <paramref name="connection"/>.</summary>
    /// <param name="connection">
    /// The NATS connection to use, for example a <c>NatsConnection</c> or <c>NatsClient.Connection</c>. It stays owned by the
    /// caller: the transport never disposes it. It may be connected already or not yet (it is connected on first use).
    /// </param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><see cref="NatsTransportOptions.TopicPrefix"/> is not a valid subject prefix.</exception>
    /// <exception cref="ArgumentNullException"><see cref="NatsTransportOptions.SubscriptionBuffer"/> or <see cref="NatsTransportOptions.ResubscribeBackoff"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option of <see cref="NatsTransportOptions.SubscriptionBuffer"/> or <see cref="NatsTransportOptions.ResubscribeBackoff"/> is out of range.</exception>
    public NatsTransport(INatsConnection connection, NatsTransportOptions? options = null)
        : this(connection, options, TimeProvider.System, ClientBufferCapacity)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NatsTransport"/> class with a clock for the loss log and another NATS.Net client buffer size (for tests).</summary>
    internal NatsTransport(INatsConnection connection, NatsTransportOptions? options, TimeProvider timeProvider, int clientBufferCapacity = ClientBufferCapacity)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options ??= new NatsTransportOptions();
        ArgumentNullException.ThrowIfNull(options.SubscriptionBuffer, "options.SubscriptionBuffer");
        options.SubscriptionBuffer.Validate("options.SubscriptionBuffer");
        ArgumentNullException.ThrowIfNull(options.ResubscribeBackoff, "options.ResubscribeBackoff");
        options.ResubscribeBackoff.Validate("options.ResubscribeBackoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(clientBufferCapacity, 1);
        NatsSubject.ValidatePrefix(options.TopicPrefix, connection.Opts.SubjectEncoding);

        _connection = connection;
        _prefix = options.TopicPrefix;
        _subscriptionBuffer = options.SubscriptionBuffer.Clone();
        _resubscribeBackoff = options.ResubscribeBackoff.Clone();
        _clientBufferCapacity = clientBufferCapacity;
        _timeProvider = timeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<NatsTransport>();

        // DropOldest, deliberately: BoundedChannelFullMode.Wait would block NATS.Net's socket reader, stalling every
        // subscription of the (shared) connection until the server cuts it off as a slow consumer, losing messages for all
        // of them at once. Dropping keeps the connection healthy and loses only this subscription's messages, each one
        // counted (MessageDropped, reported to the pump). Of the dropping modes, the oldest message is the least valuable
        // to a versioned cache: a newer update of the same key that is still buffered supersedes it.
        _subscriptionOptions = new NatsSubOpts
        {
            ChannelOpts = new NatsSubChannelOpts { Capacity = _clientBufferCapacity, FullMode = BoundedChannelFullMode.DropOldest },
        };

        _connection.ConnectionDisconnected += OnConnectionDisconnectedAsync;
        _connection.ConnectionOpened += OnConnectionOpenedAsync;
        _connection.ReconnectFailed += OnReconnectFailedAsync;
        _connection.MessageDropped += OnMessageDroppedAsync;
        _connection.SlowConsumerDetected += OnSlowConsumerDetectedAsync;
        _connection.ServerError += OnServerErrorAsync;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Raised with <see langword="false"/> when NATS.Net reports the connection lost, and with <see langword="true"/> when it
    /// is open again and the server has processed the resubscriptions (a PING/PONG round trip, at most 5 s). The first
    /// connect is not reported. A subscription that NATS.Net ends by itself (not disposed) counts as lost too: it is
    /// reported with <see langword="false"/> and, once it is subscribed again (retried with
    /// <see cref="NatsTransportOptions.ResubscribeBackoff"/>), with <see langword="true"/>. The events alternate: one
    /// <see langword="false"/> while anything is down, one <see langword="true"/> when the connection and every
    /// subscription are back. Handlers run on NATS.Net's event task or a subscription's task: they must not block;
    /// exceptions are logged.
    /// </remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>
    /// Gets the number of received messages that this transport's subscriptions, past and present, lost because a
    /// client-side buffer was full: a subscription's buffer (see <see cref="NatsTransportOptions.SubscriptionBuffer"/>) or
    /// NATS.Net's own in front of it. Every such message is lost for that subscription.
    /// </summary>
    /// <remarks>
    /// The sum of the subscriptions' <see cref="TransportSubscriptionPump.LostCount"/>. NATS.Net reports its drops through
    /// its asynchronous <c>MessageDropped</c> event, so the count can trail those by a moment. Messages the server never
    /// sent (published while this connection was down, or discarded by the server when it disconnects a slow consumer) are
    /// not known to the client and not counted here: they show as <see cref="ConnectionChanged"/> events instead.
    /// </remarks>
    public long DroppedCount => _pumpTotals.LostCount + UnreportedDrops();

    /// <summary>Gets the number of delivered messages whose handler threw (each one is logged; the subscription continues).</summary>
    public long HandlerFailureCount => _pumpTotals.HandlerFailures;

    /// <summary>Gets how many times a subscription that NATS.Net had ended was subscribed again (for tests).</summary>
    internal long ResubscriptionCount => Interlocked.Read(ref _resubscriptions);

    /// <summary>Gets the NATS.Net subscriptions of the live subscriptions (for tests that end one the way NATS.Net would).</summary>
    internal IReadOnlyList<INatsSub<NatsMemoryOwner<byte>>> NatsSubscriptions =>
        [.. _subscriptions.Keys.OfType<INatsSub<NatsMemoryOwner<byte>>>()];

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="topic"/> is empty or not a valid literal NATS subject (whitespace, control characters, wildcards <c>*</c>/<c>&gt;</c>, empty tokens, over 4,000 bytes).</exception>
    /// <exception cref="HydratePayloadTooLargeException"><paramref name="message"/> is larger than the server's <c>max_payload</c>; nothing was sent.</exception>
    /// <exception cref="NatsTransportException">The NATS client failed the publish.</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var subject = NatsSubject.FromTopic(_prefix, topic, _connection.Opts.SubjectEncoding, nameof(topic));
        var serverInfo = _connection.ServerInfo;
        if (serverInfo is null || _connection.ConnectionState != NatsConnectionState.Open || Volatile.Read(ref _queuedPublishes) != 0)
        {
            return PublishInOrderAsync(topic, subject, message, cancellationToken);
        }

        ThrowIfTooLarge(message.Length, serverInfo.MaxPayload);
        ValueTask pending;
        try
        {
            pending = _connection.PublishAsync(subject, message, serializer: PublishSerializer, cancellationToken: cancellationToken);
        }
        catch (Exception ex)
        {
            throw TranslatePublishException(ex, topic, subject, message.Length, cancellationToken) ?? RethrowOriginal(ex);
        }

        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        return AwaitPublishAsync(pending, topic, subject, message.Length, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The subscription is a plain NATS subscription (no queue group) read into a buffer bounded by
    /// <see cref="NatsTransportOptions.SubscriptionBuffer"/>. The returned task completes after a PING/PONG round trip, when
    /// the server has processed the SUB. If the connection is down, it waits until it is back.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is empty or not a valid literal NATS subject.</exception>
    /// <exception cref="NatsTransportException">The NATS client failed the subscribe.</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    public async ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var subject = NatsSubject.FromTopic(_prefix, topic, _connection.Opts.SubjectEncoding, nameof(topic));
        cancellationToken.ThrowIfCancellationRequested();

        var subscription = new Subscription(this, topic, subject, handler);
        try
        {
            await subscription.OpenAsync(cancellationToken).ConfigureAwait(false);

            // The PONG proves the server processed the SUB: a message published after this method returns is delivered.
            await _connection.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new NatsTransportException($"Subscribing to NATS subject '{subject}' (topic '{topic}') failed: {ex.Message}", ex);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(GetType().FullName);
        }

        subscription.Start();
        _logger.Subscribed(subject, topic);
        return subscription;
    }

    /// <summary>
    /// Unsubscribes every subscription of this transport (each reader loop is cancelled and awaited; a handler call in
    /// progress is allowed to finish) and detaches from the connection's events. The connection itself is not disposed:
    /// it belongs to the caller.
    /// </summary>
    /// <returns>A task that completes when every subscription is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Ends publishes that wait for the connection. Not disposed: a publish racing with this may still link to it.
        await _disposing.CancelAsync().ConfigureAwait(false);
        _connection.ConnectionDisconnected -= OnConnectionDisconnectedAsync;
        _connection.ConnectionOpened -= OnConnectionOpenedAsync;
        _connection.ReconnectFailed -= OnReconnectFailedAsync;
        _connection.MessageDropped -= OnMessageDroppedAsync;
        _connection.SlowConsumerDetected -= OnSlowConsumerDetectedAsync;
        _connection.ServerError -= OnServerErrorAsync;

        foreach (var subscription in _subscriptions.Values)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Publishes while the connection is not open (or not yet connected), and while publishes from such a time still wait.
    /// NATS.Net parks every such publish on one "connected" signal and releases them all at once, in no particular order;
    /// chaining them here keeps the call order, so per-publisher order holds across a reconnect.
    /// </summary>
    private async ValueTask PublishInOrderAsync(string topic, string subject, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queuedPublishes);
        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = Interlocked.Exchange(ref _lastQueuedPublish, turn.Task);

        // Such a publish may wait for a server that never comes back: disposing the transport ends the wait.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            await previous.WaitAsync(waiting.Token).ConfigureAwait(false);
            if (_connection.ServerInfo is null)
            {
                // Never connected yet: the server's max_payload is unknown until its INFO arrives.
                await _connection.ConnectAsync().AsTask().WaitAsync(waiting.Token).ConfigureAwait(false);
            }

            if (_connection.ServerInfo is { } serverInfo)
            {
                ThrowIfTooLarge(message.Length, serverInfo.MaxPayload);
            }

            await _connection.PublishAsync(subject, message, serializer: PublishSerializer, cancellationToken: waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(GetType().FullName, "The transport was disposed while the publish waited for the NATS connection.");
        }
        catch (Exception ex)
        {
            throw TranslatePublishException(ex, topic, subject, message.Length, cancellationToken) ?? RethrowOriginal(ex);
        }
        finally
        {
            // The next queued publish goes after this one, and never before the one this one queued behind (a cancelled
            // wait leaves early, but its turn ends only when its predecessor's does).
            if (previous.IsCompleted)
            {
                turn.SetResult();
            }
            else
            {
                _ = previous.ContinueWith(static (_, state) => ((TaskCompletionSource)state!).SetResult(), turn, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            Interlocked.Decrement(ref _queuedPublishes);
        }
    }

    private async ValueTask AwaitPublishAsync(ValueTask pending, string topic, string subject, int size, CancellationToken cancellationToken)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw TranslatePublishException(ex, topic, subject, size, cancellationToken) ?? RethrowOriginal(ex);
        }
    }

    private static void ThrowIfTooLarge(int size, int maxPayload)
    {
        if (size > maxPayload)
        {
            ThrowTooLarge(size, maxPayload);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTooLarge(int size, int maxPayload) =>
        throw new HydratePayloadTooLargeException(size, maxPayload, "NATS server (its max_payload setting)");

    /// <summary>Maps a NATS.Net failure to the HydrateCache exception to throw, or <see langword="null"/> to rethrow it as is.</summary>
    private Exception? TranslatePublishException(Exception exception, string topic, string subject, int size, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
            case HydrateCacheException:
                return null;
            case NatsPayloadTooLargeException:
                // The message fit, but the headers NATS.Net adds (trace context) pushed it over the limit.
                return new HydratePayloadTooLargeException(size, _connection.ServerInfo?.MaxPayload ?? 0, "NATS server (its max_payload setting, counting the headers NATS.Net adds such as trace context)");
            default:
                return new NatsTransportException($"Publishing to NATS subject '{subject}' (topic '{topic}') failed: {exception.Message}", exception);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static Exception RethrowOriginal(Exception exception)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        return exception;
    }

    private void Register(object natsSubscription, Subscription subscription)
    {
        _pumpTotals.Track(subscription.Pump);
        _subscriptions[natsSubscription] = subscription;
    }

    /// <summary>Forgets an ended NATS.Net subscription that is being replaced; its pump stays tracked.</summary>
    private void Unregister(object natsSubscription) => _subscriptions.TryRemove(natsSubscription, out _);

    /// <summary>Removes a disposed subscription, keeping its final counts in the transport's totals.</summary>
    private void Retire(object natsSubscription)
    {
        if (_subscriptions.TryRemove(natsSubscription, out var subscription))
        {
            _pumpTotals.Retire(subscription.Pump);
        }
    }

    /// <summary>Sums the NATS.Net drops the live subscriptions counted but have not handed to their pumps yet.</summary>
    private long UnreportedDrops()
    {
        long total = 0;
        foreach (var subscription in _subscriptions.Values)
        {
            total += subscription.UnreportedDrops;
        }

        return total;
    }
}
