using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HydrateCache.Postgres;

/// <summary>
/// A broadcast <see cref="ITransport"/> over PostgreSQL <c>LISTEN</c>/<c>NOTIFY</c>: every process that subscribes to a
/// topic gets every message published to it, through the database it already runs.
/// </summary>
/// <remarks>
/// <para><b>Connections.</b> The <see cref="NpgsqlDataSource"/> is the caller's: the transport opens connections from it and
/// never disposes it (dispose it yourself after the transport). TLS, authentication and every other connection setting come
/// from the data source. Publishing uses a pooled connection per call. Subscribing opens one dedicated listening connection
/// per transport instance, held while the transport has subscriptions, which <c>LISTEN</c>s on every subscribed channel.
/// The data source must not use multiplexing (Npgsql does not support notifications in that mode).</para>
/// <para><b>Topics.</b> A topic maps to the channel <c>TopicPrefix + topic</c>, which must fit PostgreSQL's identifier limit
/// of 63 bytes (UTF-8). Channel names are always quoted, so any character but NUL is safe and the case is kept.</para>
/// <para><b>Delivery guarantee: at-most-once.</b> A notification reaches the sessions that are listening when it is
/// committed; one published while the listening connection is down is lost (the transport raises
/// <see cref="ConnectionChanged"/> so gap recovery can run). NOTIFY is transactional: a notification is delivered when the
/// publishing transaction commits (each publish is its own transaction here).</para>
/// <para><b>Ordering.</b> PostgreSQL delivers the notifications of one sending session in the order they were sent, and
/// those of different sessions in commit order. Each publish commits before its task completes (on whichever pooled
/// connection it got), so messages from a publisher that awaits each publish reach every subscription in publish order;
/// publishes that are not awaited one after the other have no defined order. Each subscription's handler runs serially,
/// and every subscription (also several of one topic on one transport, and those of the publishing transport itself) gets
/// its own copy.</para>
/// <para><b>Size.</b> Messages up to 5922 bytes travel base64-encoded inside the NOTIFY payload (PostgreSQL limits payloads
/// to 8000 bytes). Larger messages, up to <see cref="PostgresTransportOptions.MaxMessageBytes"/>, are written to
/// <see cref="PostgresTransportOptions.PayloadTable"/> in the same transaction as a NOTIFY carrying the row id; receivers read
/// the row with a pooled connection. Rows are deleted after <see cref="PostgresTransportOptions.LargePayloadRetention"/>.
/// Larger messages fail with <see cref="HydratePayloadTooLargeException"/> before anything reaches the server.</para>
/// <para><b>Buffers.</b> Each subscription is a <see cref="TransportSubscriptionPump"/> whose buffer is bounded by
/// <see cref="PostgresTransportOptions.SubscriptionBuffer"/> (drop-oldest: the listening connection never waits). Losses are
/// counted in <see cref="DroppedCount"/>, logged (rate limited) and reported to the handler in band
/// (<see cref="TransportMessage.LostBefore"/>). A large message is posted as its row id and read from the payload table in
/// the subscription's delivery path, right before its handler call, so its order is kept; several subscriptions of one
/// channel each read the row.</para>
/// </remarks>
public sealed partial class PostgresTransport : ITransport
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string? _topicPrefix;
    private readonly int _maxMessageBytes;
    private readonly TimeSpan _retention;
    private readonly TimeSpan _reconnectDelay;
    private readonly CancellationTokenSource _disposing = new();

    /// <summary>The subscriptions by channel name; arrays are replaced (copy-on-write) under <see cref="_gate"/>, read lock-free.</summary>
    private readonly ConcurrentDictionary<string, PostgresSubscription[]> _channels = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Losses and handler failures of every subscription, disposed ones included.</summary>
    private readonly TransportPumpTotals _pumpTotals = new();
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="PostgresTransport"/> class.</summary>
    /// <param name="dataSource">The data source to open connections from. The transport never disposes it.</param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid, or <paramref name="dataSource"/> uses multiplexing.</exception>
    public PostgresTransport(NpgsqlDataSource dataSource, PostgresTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        options ??= new PostgresTransportOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1, "options.MaxMessageBytes");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxMessageBytes, PostgresTransportOptions.MaxMessageBytesLimit, "options.MaxMessageBytes");
        ArgumentNullException.ThrowIfNull(options.SubscriptionBuffer, "options.SubscriptionBuffer");
        options.SubscriptionBuffer.Validate("options.SubscriptionBuffer");
        if (options.SubscriptionBuffer.OverflowPolicy != TransportOverflowPolicy.DropOldest)
        {
            throw new ArgumentOutOfRangeException(
                "options.SubscriptionBuffer.OverflowPolicy",
                options.SubscriptionBuffer.OverflowPolicy,
                "The PostgreSQL transport needs TransportOverflowPolicy.DropOldest: its listening connection is shared by every subscription and must never wait.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LargePayloadRetention, TimeSpan.Zero, "options.LargePayloadRetention");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ReconnectDelay, TimeSpan.Zero, "options.ReconnectDelay");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ReconnectDelay, TimeSpan.FromHours(1), "options.ReconnectDelay");
        ValidateTopicPrefix(options.TopicPrefix);
        if (new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Multiplexing)
        {
            throw new ArgumentException("The PostgreSQL transport needs a data source without multiplexing: Npgsql does not deliver notifications in multiplexing mode.", nameof(dataSource));
        }

        _dataSource = dataSource;
        _topicPrefix = string.IsNullOrEmpty(options.TopicPrefix) ? null : options.TopicPrefix;
        _maxMessageBytes = options.MaxMessageBytes;
        _retention = options.LargePayloadRetention;
        _reconnectDelay = options.ReconnectDelay;
        SubscriptionBuffer = options.SubscriptionBuffer.Clone();
        PayloadTable = PostgresIdentifier.QuoteTableName(options.PayloadTable, "options.PayloadTable");
        Logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PostgresTransport>();
        _insertAndNotifySql = $"WITH ins AS (INSERT INTO {PayloadTable} (channel, body) VALUES ($1, $2) RETURNING id) SELECT pg_notify($1, '{PostgresPayload.ReferenceMarker}' || ins.id::text) FROM ins";
        _selectSql = $"SELECT body FROM {PayloadTable} WHERE id = $1 AND channel = $2";
        _deleteExpiredSql = $"DELETE FROM {PayloadTable} WHERE created_at < now() - $1";
        _createTableSql = $"CREATE UNLOGGED TABLE IF NOT EXISTS {PayloadTable} (id bigserial PRIMARY KEY, channel text NOT NULL, body bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())";
    }

    /// <summary>
    /// Raised when the listening connection is lost (<see cref="TransportConnectionEventArgs.IsConnected"/> = <see langword="false"/>)
    /// and when it is open again with every channel re-<c>LISTEN</c>ed (<see langword="true"/>). Notifications sent in between are lost.
    /// </summary>
    /// <remarks>Raised on the transport's listening task; handlers must not block. A transport that only publishes never raises it.</remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>
    /// Gets the number of messages that reached this transport but not a subscription's handler: the subscription's buffer was
    /// full, a large message's row was gone or unreadable, or the notification was not in this transport's format.
    /// </summary>
    /// <remarks>Counted once per subscription that missed the message (the sum of its pumps' <see cref="TransportSubscriptionPump.LostCount"/>,
    /// disposed subscriptions included). Every drop is also logged (rate limited) and reported in band.</remarks>
    public long DroppedCount => _pumpTotals.LostCount;

    /// <summary>Gets the number of messages whose handler threw. The subscription continued with the next message.</summary>
    public long HandlerFailureCount => _pumpTotals.HandlerFailures;

    internal ILogger Logger { get; }

    /// <summary>Gets the buffer options of every subscription (a copy of the options').</summary>
    internal SubscriptionBufferOptions SubscriptionBuffer { get; }

    /// <summary>Gets the quoted, possibly schema-qualified payload table name used in SQL.</summary>
    internal string PayloadTable { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="topic"/> is empty, or its channel name is longer than 63 bytes or contains NUL.</exception>
    /// <exception cref="HydratePayloadTooLargeException"><paramref name="message"/> is larger than <see cref="PostgresTransportOptions.MaxMessageBytes"/>.</exception>
    /// <exception cref="PostgresTransportException">The server could not be reached or rejected the publish (see <see cref="HydrateCacheException.IsTransient"/>).</exception>
    /// <remarks>
    /// The task completes when the NOTIFY is committed. A publish that fails on a broken pooled connection (typically right after
    /// a server restart) is retried once on a fresh one; should the first attempt have committed after all, subscribers see the
    /// message twice, which version checks make harmless.
    /// </remarks>
    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var channel = ToChannel(topic, nameof(topic));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (message.Length > _maxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(message.Length, _maxMessageBytes, "PostgreSQL transport");
        }

        var inline = message.Length <= PostgresPayload.MaxInlineFrameBytes ? PostgresPayload.EncodeInline(message) : null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (inline is not null)
                {
                    await NotifyAsync(channel, inline, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await PublishLargeAsync(channel, message, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (NpgsqlException ex) when (attempt == 1 && ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                Logger.PublishRetried(ex, channel);
            }
            catch (NpgsqlException ex)
            {
                throw new PostgresTransportException($"Publishing to PostgreSQL channel '{channel}' failed: {ex.Message}", ex);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="topic"/> is empty, or its channel name is longer than 63 bytes or contains NUL.</exception>
    /// <exception cref="PostgresTransportException">The listening connection could not be opened or the <c>LISTEN</c> failed.</exception>
    /// <remarks>
    /// The subscription is established (its channel <c>LISTEN</c>ed on the transport's listening connection) when the task completes.
    /// If the listening connection is down (or not open yet) and cannot be opened, the task fails with a transient
    /// <see cref="PostgresTransportException"/> and nothing is subscribed.
    /// </remarks>
    public async ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
    {
        var channel = ToChannel(topic, nameof(topic));
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        var subscription = new PostgresSubscription(this, topic, channel, handler);
        var waiter = new ListenWaiter(channel);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            _channels.AddOrUpdate(channel, static (_, s) => [s], static (_, list, s) => [.. list, s], subscription);
            _pumpTotals.Track(subscription.Pump);
            _waiters.Add(waiter);
            EnsureListenerStarted();
        }

        RequestReconcile();
        try
        {
            await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }

            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Logger.Subscribed(topic, channel);
        return subscription;
    }

    /// <summary>
    /// Stops every subscription (a handler call in progress may finish), closes the listening connection (after <c>UNLISTEN *</c>)
    /// and stops the cleanup of large payloads. The data source is not disposed.
    /// </summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task? listener;
        List<PostgresSubscription> subscriptions = [];
        ListenWaiter[] waiters;
        lock (_gate)
        {
            listener = _listenTask;
            foreach (var list in _channels.Values)
            {
                subscriptions.AddRange(list);
            }

            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.Completion.TrySetException(new ObjectDisposedException(nameof(PostgresTransport)));
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        foreach (var subscription in subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        // A ConnectionChanged handler that disposes the transport runs on the listening task: it must not wait for itself.
        if (listener is not null && !_inListener.Value)
        {
            await listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_cleanupTask is { } cleanup)
        {
            await cleanup.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Removes a subscription whose pump is disposed and keeps its counters; the listening task <c>UNLISTEN</c>s its channel
    /// when it was the last one.
    /// </summary>
    internal void Remove(PostgresSubscription subscription)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(subscription.Channel, out var list))
            {
                var remaining = Array.FindAll(list, s => !ReferenceEquals(s, subscription));
                if (remaining.Length == 0)
                {
                    _channels.TryRemove(subscription.Channel, out _);
                }
                else
                {
                    _channels[subscription.Channel] = remaining;
                }
            }
        }

        _pumpTotals.Retire(subscription.Pump);
        Logger.Unsubscribed(subscription.Topic, subscription.Channel);
        RequestReconcile();
    }

    private static void ValidateTopicPrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return;
        }

        var bytes = PostgresIdentifier.Utf8ByteCount(prefix);
        if (prefix.Contains('\0', StringComparison.Ordinal) || bytes < 0 || bytes >= PostgresIdentifier.MaxIdentifierBytes)
        {
            throw new ArgumentException(
                $"options.TopicPrefix must be valid text without NUL and shorter than {PostgresIdentifier.MaxIdentifierBytes} bytes (UTF-8): PostgreSQL channel names hold at most {PostgresIdentifier.MaxIdentifierBytes} bytes.",
                "options");
        }
    }

    private string ToChannel(string topic, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic, paramName);
        var channel = _topicPrefix is null ? topic : _topicPrefix + topic;
        PostgresIdentifier.ValidateChannel(channel, topic, paramName);
        return channel;
    }

    private async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken)
    {
        var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = payload });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void RaiseConnectionChanged(bool isConnected, Exception? exception)
    {
        if (ConnectionChanged is not { } handlers)
        {
            return;
        }

        var args = new TransportConnectionEventArgs(isConnected, exception);
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<TransportConnectionEventArgs>)handler)(this, args);
            }
            catch (Exception ex)
            {
                Logger.ConnectionChangedHandlerFailed(ex, isConnected);
            }
        }
    }
}
