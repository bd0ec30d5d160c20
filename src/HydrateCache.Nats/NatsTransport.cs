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
/// <para><b>Client buffer and drops.</b> Each subscription buffers up to <see cref="NatsTransportOptions.SubscriptionCapacity"/>
/// received messages. When it is full, the oldest buffered message is dropped to make room (the connection keeps
/// reading, so one slow handler never stalls the connection or gets it disconnected as a slow consumer). Every drop is
/// counted in <see cref="DroppedCount"/> and logged (rate limited). A dropped update is a stale cache until the
/// channel's gap detection repairs it.</para>
/// <para><b>Disconnects.</b> NATS.Net reconnects and resubscribes by itself. <see cref="ConnectionChanged"/> reports the
/// loss (<see langword="false"/>) and the recovery (<see langword="true"/>, raised after the resubscriptions reached the
/// server). Messages published by others while this connection was down are lost for its subscriptions. A publish made
/// while the connection is down waits (NATS.Net 3.3.2 default: without limit) until it is back and is then sent; it
/// reaches only the subscribers whose own connections are back by then. Pass a <see cref="CancellationToken"/> or set
/// <c>NatsOpts.PublishTimeoutOnDisconnected</c> (fails after <c>NatsOpts.CommandTimeout</c>) to bound that wait.</para>
/// </remarks>
public sealed partial class NatsTransport : ITransport
{
    private static readonly NatsRawSerializer<ReadOnlyMemory<byte>> PublishSerializer = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
    private static readonly NatsRawSerializer<NatsMemoryOwner<byte>> ReceiveSerializer = NatsRawSerializer<NatsMemoryOwner<byte>>.Default;

    /// <summary>How long a reconnect waits for the PING/PONG fence before it reports the connection as back anyway.</summary>
    private static readonly TimeSpan ResubscribeFenceTimeout = TimeSpan.FromSeconds(5);

    private readonly INatsConnection _connection;
    private readonly string _prefix;
    private readonly int _capacity;
    private readonly NatsSubOpts _subscriptionOptions;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    // Keyed by the NATS.Net subscription object (reference equality), so MessageDropped/SlowConsumerDetected events of
    // the shared connection can be attributed to this transport's subscriptions and ignored for everybody else's.
    private readonly ConcurrentDictionary<object, Subscription> _subscriptions = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _disposing = new();
    private Task _lastQueuedPublish = Task.CompletedTask;
    private int _queuedPublishes;
    private long _dropped;
    private long _handlerFailures;
    private int _reportedDisconnected;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="NatsTransport"/> class over <paramref name="connection"/>.</summary>
    /// <param name="connection">
    /// The NATS connection to use, for example a <c>NatsConnection</c> or <c>NatsClient.Connection</c>. It stays owned by the
    /// caller: the transport never disposes it. It may be connected already or not yet (it is connected on first use).
    /// </param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><see cref="NatsTransportOptions.TopicPrefix"/> is not a valid subject prefix.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="NatsTransportOptions.SubscriptionCapacity"/> is less than 1.</exception>
    public NatsTransport(INatsConnection connection, NatsTransportOptions? options = null)
        : this(connection, options, TimeProvider.System)
    {
    }

    internal NatsTransport(INatsConnection connection, NatsTransportOptions? options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options ??= new NatsTransportOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SubscriptionCapacity, 1, "options.SubscriptionCapacity");
        NatsSubject.ValidatePrefix(options.TopicPrefix, connection.Opts.SubjectEncoding);

        _connection = connection;
        _prefix = options.TopicPrefix;
        _capacity = options.SubscriptionCapacity;
        _timeProvider = timeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<NatsTransport>();

        // DropOldest, deliberately: BoundedChannelFullMode.Wait would block NATS.Net's socket reader, stalling every
        // subscription of the (shared) connection until the server cuts it off as a slow consumer, losing messages for all
        // of them at once. Dropping keeps the connection healthy and loses only this subscription's messages, each one
        // counted. Of the dropping modes, the oldest message is the least valuable to a versioned cache: a newer update of
        // the same key that is still buffered supersedes it.
        _subscriptionOptions = new NatsSubOpts
        {
            ChannelOpts = new NatsSubChannelOpts { Capacity = _capacity, FullMode = BoundedChannelFullMode.DropOldest },
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
    /// connect is not reported. Handlers run on NATS.Net's event task: they must not block; exceptions are logged.
    /// </remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>
    /// Gets the number of received messages that the client-side buffers of this transport's subscriptions dropped because
    /// they were full (see <see cref="NatsTransportOptions.SubscriptionCapacity"/>). Every such message is lost for that
    /// subscription.
    /// </summary>
    /// <remarks>
    /// NATS.Net reports drops through its asynchronous <c>MessageDropped</c> event, so the count can trail the drops by a
    /// moment. Messages the server never sent (published while this connection was down, or discarded by the server
    /// when it disconnects a slow consumer) are not known to the client and not counted here: they show as
    /// <see cref="ConnectionChanged"/> events instead.
    /// </remarks>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Gets the number of delivered messages whose handler threw (each one is logged; the subscription continues).</summary>
    public long HandlerFailureCount => Interlocked.Read(ref _handlerFailures);

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
    /// The subscription is a plain NATS subscription (no queue group) with a client buffer of
    /// <see cref="NatsTransportOptions.SubscriptionCapacity"/> messages. The returned task completes after a PING/PONG round
    /// trip, when the server has processed the SUB. If the connection is down, it waits until it is back.
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
        _logger.Subscribed(subject, topic, _capacity);
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

        _subscriptions.Clear();
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

    private void OnHandlerFailed(Exception exception, string topic)
    {
        Interlocked.Increment(ref _handlerFailures);
        _logger.HandlerFailed(exception, topic);
    }
}
