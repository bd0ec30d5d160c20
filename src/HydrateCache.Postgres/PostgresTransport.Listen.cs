using System.Buffers;
using System.Data;
using System.Diagnostics;
using Npgsql;

namespace HydrateCache.Postgres;

/// <summary>The listening connection: one per transport, LISTENing on every subscribed channel, reconnecting on failure.</summary>
public sealed partial class PostgresTransport
{
    /// <summary>How long the listening connection may be silent before it is checked with a <c>SELECT 1</c> (finds dead peers without TCP keepalive).</summary>
    private static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>The longest delay between reconnect attempts (unless <see cref="PostgresTransportOptions.ReconnectDelay"/> is longer).</summary>
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long closing the listening connection (<c>UNLISTEN *</c>) may take.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RejectLogInterval = TimeSpan.FromSeconds(5);

    /// <summary>SubscribeAsync calls waiting for their channel to be LISTENed. Guarded by <see cref="_gate"/>.</summary>
    private readonly List<ListenWaiter> _waiters = [];

    /// <summary>Set on the listening task, so that a ConnectionChanged handler that disposes the transport does not wait for itself.</summary>
    private readonly AsyncLocal<bool> _inListener = new();

    /// <summary>The channels LISTENed on the current connection. Owned by the listening task.</summary>
    private readonly HashSet<string> _listening = new(StringComparer.Ordinal);

    /// <summary>The listening task; null while the transport has no subscriptions. Guarded by <see cref="_gate"/>.</summary>
    private Task? _listenTask;

    /// <summary>Cancelled to interrupt the listening task's wait when there is something to (UN)LISTEN.</summary>
    private CancellationTokenSource? _wakeCts;
    private int _reconcileRequested;

    /// <summary>Whether ConnectionChanged(false) was raised and (true) is still owed. Owned by the listening task.</summary>
    private bool _reportedDown;
    private int _listenerProcessId;
    private long _lastRejectLog;

    /// <summary>Gets the backend process id of the current listening connection (0 when none), for tests.</summary>
    internal int ListenerProcessId => Volatile.Read(ref _listenerProcessId);

    /// <summary>Starts <paramref name="work"/> without the caller's execution context (log scopes, ambient state): it outlives the caller.</summary>
    private static Task StartBackground(Func<Task> work)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return Task.Run(work);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(work);
        }
    }

    private static bool IsTransient(Exception exception) =>
        exception is NpgsqlException { IsTransient: true } or TimeoutException or System.IO.IOException or System.Net.Sockets.SocketException;

    /// <summary>Must be called under <see cref="_gate"/>.</summary>
    private void EnsureListenerStarted() => _listenTask ??= StartBackground(ListenLoopAsync);

    /// <summary>Asks the listening task to bring its LISTENs in line with the subscriptions, interrupting its wait.</summary>
    private void RequestReconcile()
    {
        Interlocked.Exchange(ref _reconcileRequested, 1);
        var wake = Volatile.Read(ref _wakeCts);
        if (wake is null)
        {
            return;
        }

        try
        {
            wake.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The wait it interrupted is already over; the flag is seen by the next iteration.
        }
    }

    /// <summary>Must be called under <see cref="_gate"/>.</summary>
    private bool IsIdleLocked() => _channels.IsEmpty && _waiters.Count == 0;

    private async Task ListenLoopAsync()
    {
        _inListener.Value = true;
        var token = _disposing.Token;
        var failures = 0;
        var backoff = new TransportBackoff(new TransportBackoffOptions { InitialDelay = _reconnectDelay, MaxDelay = _reconnectDelay > MaxReconnectDelay ? _reconnectDelay : MaxReconnectDelay });
        while (true)
        {
            NpgsqlConnection? connection = null;
            Exception? failure = null;
            var connected = false;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                connection.Notification += OnNotification;
                _listening.Clear();
                Interlocked.Exchange(ref _reconcileRequested, 0);
                await ReconcileAsync(connection, token).ConfigureAwait(false);
                connected = true;
                Volatile.Write(ref _listenerProcessId, connection.ProcessID);
                if (_reportedDown)
                {
                    _reportedDown = false;
                    Logger.ListenerReconnected(connection.ProcessID, failures, _listening.Count);
                    RaiseConnectionChanged(true, null);
                }
                else
                {
                    Logger.ListenerConnected(connection.ProcessID, _listening.Count);
                }

                failures = 0;
                backoff.Reset();
                await ListenAsync(connection, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            Volatile.Write(ref _listenerProcessId, 0);
            if (connection is not null)
            {
                connection.Notification -= OnNotification;
                await CloseAsync(connection, graceful: failure is null).ConfigureAwait(false);
            }

            _listening.Clear();
            if (token.IsCancellationRequested)
            {
                Logger.ListenerClosed("the transport was disposed");
                return;
            }

            if (failure is null)
            {
                // No subscription left: give the connection back, unless a subscription arrived meanwhile.
                lock (_gate)
                {
                    if (IsIdleLocked())
                    {
                        _listenTask = null;
                        Logger.ListenerClosed("no subscriptions left");
                        return;
                    }
                }

                continue;
            }

            failures++;
            if (connected)
            {
                _reportedDown = true;
                Logger.ListenerDisconnected(failure, _channels.Count);
                RaiseConnectionChanged(false, failure);
            }

            // The first failure is retried at once: after a server restart the pool may hold a broken connection (Npgsql
            // clears the pool when it sees one). After that, pending subscribes fail and attempts back off.
            if (failures == 1 && IsTransient(failure))
            {
                continue;
            }

            FailWaiters(failure);
            lock (_gate)
            {
                if (IsIdleLocked())
                {
                    _listenTask = null;
                    Logger.ListenerClosed("it could not be opened and no subscription is left");
                    return;
                }
            }

            var delay = backoff.NextDelay();
            Logger.ListenerConnectFailed(failure, failures, delay);
            if (!await WaitForRetryAsync(delay, token).ConfigureAwait(false))
            {
                Logger.ListenerClosed("the transport was disposed");
                return;
            }
        }
    }

    /// <summary>Waits on the open connection, dispatching notifications, until the transport has no subscriptions left.</summary>
    private async Task ListenAsync(NpgsqlConnection connection, CancellationToken token)
    {
        CancellationTokenSource? wake = null;
        try
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                if (wake is null || wake.IsCancellationRequested)
                {
                    wake?.Dispose();
                    wake = CancellationTokenSource.CreateLinkedTokenSource(token);

                    // Published before the flag is read: a request made after the read below cancels the wait.
                    Volatile.Write(ref _wakeCts, wake);
                }

                if (Interlocked.Exchange(ref _reconcileRequested, 0) != 0)
                {
                    await ReconcileAsync(connection, token).ConfigureAwait(false);
                }

                lock (_gate)
                {
                    if (IsIdleLocked())
                    {
                        return;
                    }
                }

                bool received;
                try
                {
                    received = await connection.WaitAsync(HealthCheckInterval, wake.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (wake.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    // Woken up to (UN)LISTEN. Npgsql leaves the connection usable after a cancelled wait.
                    continue;
                }

                if (!received)
                {
                    await PingAsync(connection, token).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (wake is not null)
            {
                Interlocked.CompareExchange(ref _wakeCts, null, wake);
                wake.Dispose();
            }
        }
    }

    /// <summary>LISTENs on every subscribed channel not yet LISTENed, UNLISTENs the ones without subscriptions, in one round trip.</summary>
    private async Task ReconcileAsync(NpgsqlConnection connection, CancellationToken token)
    {
        string[] desired;
        lock (_gate)
        {
            desired = [.. _channels.Keys];
        }

        var wanted = new HashSet<string>(desired, StringComparer.Ordinal);
        var toListen = desired.Where(c => !_listening.Contains(c)).ToList();
        var toUnlisten = _listening.Where(c => !wanted.Contains(c)).ToList();
        if (toListen.Count + toUnlisten.Count > 0)
        {
            var batch = connection.CreateBatch();
            await using (batch.ConfigureAwait(false))
            {
                // Channel names are validated (no NUL, at most 63 bytes) and always quoted: never SQL.
                foreach (var channel in toListen)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("LISTEN " + PostgresIdentifier.Quote(channel)));
                }

                foreach (var channel in toUnlisten)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand("UNLISTEN " + PostgresIdentifier.Quote(channel)));
                }

                await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }

            _listening.UnionWith(toListen);
            _listening.ExceptWith(toUnlisten);
        }

        List<ListenWaiter> ready = [];
        lock (_gate)
        {
            _waiters.RemoveAll(w =>
            {
                if (_listening.Contains(w.Channel) || !_channels.ContainsKey(w.Channel))
                {
                    ready.Add(w);
                    return true;
                }

                return false;
            });
        }

        foreach (var waiter in ready)
        {
            waiter.Completion.TrySetResult();
        }
    }

    private static async Task PingAsync(NpgsqlConnection connection, CancellationToken token)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(token).ConfigureAwait(false);
        }
    }

    private async Task CloseAsync(NpgsqlConnection connection, bool graceful)
    {
        if (graceful && connection.State == ConnectionState.Open)
        {
            // Give the connection back to the pool without LISTENs, even if the data source does not reset connections on close.
            try
            {
                using var timeout = new CancellationTokenSource(CloseTimeout);
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "UNLISTEN *";
                    await command.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException)
            {
                // A connection that fails here is broken and not pooled again.
            }
        }

        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException or System.IO.IOException)
        {
            Logger.ListenerClosed("closing it failed: " + ex.GetType().Name);
        }
    }

    private void FailWaiters(Exception failure)
    {
        ListenWaiter[] failed;
        lock (_gate)
        {
            failed = [.. _waiters];
            _waiters.Clear();
        }

        if (failed.Length == 0)
        {
            return;
        }

        foreach (var waiter in failed)
        {
            waiter.Completion.TrySetException(
                new PostgresTransportException($"The PostgreSQL transport could not LISTEN on channel '{waiter.Channel}': {failure.Message}", failure));
        }
    }

    /// <summary>Waits <paramref name="delay"/>, or less when a subscription asks for the connection; false when disposed.</summary>
    private async Task<bool> WaitForRetryAsync(TimeSpan delay, CancellationToken token)
    {
        var wake = CancellationTokenSource.CreateLinkedTokenSource(token);
        Volatile.Write(ref _wakeCts, wake);
        try
        {
            if (Interlocked.Exchange(ref _reconcileRequested, 0) == 0)
            {
                await Task.Delay(delay, wake.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return !token.IsCancellationRequested;
        }
        finally
        {
            Interlocked.CompareExchange(ref _wakeCts, null, wake);
            wake.Dispose();
        }
    }

    /// <summary>Runs on the listening connection's read: must be quick and never throw or wait.</summary>
    /// <remarks>
    /// Each subscription's pump copies the delivery under the drop-oldest policy (<see cref="TransportSubscriptionPump.TryPost"/>
    /// never waits). A large message is posted as its row id and read in each subscription's delivery path.
    /// </remarks>
    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (!_channels.TryGetValue(e.Channel, out var subscriptions) || subscriptions.Length == 0)
        {
            return;
        }

        switch (PostgresPayload.Parse(e.Payload, out var frame, out var rowId))
        {
            case PostgresPayloadKind.Inline:
                var buffer = ArrayPool<byte>.Shared.Rent(1 + frame!.Length);
                PostgresDelivery.WriteInline(buffer, frame);
                Post(subscriptions, buffer.AsSpan(0, 1 + frame.Length));
                ArrayPool<byte>.Shared.Return(buffer);
                return;

            case PostgresPayloadKind.Reference:
                Span<byte> reference = stackalloc byte[PostgresDelivery.ReferenceLength];
                PostgresDelivery.WriteReference(reference, rowId);
                Post(subscriptions, reference);
                return;

            default:
                var now = Stopwatch.GetTimestamp();
                var last = Interlocked.Read(ref _lastRejectLog);
                if ((last == 0 || Stopwatch.GetElapsedTime(last, now) >= RejectLogInterval) && Interlocked.CompareExchange(ref _lastRejectLog, now, last) == last)
                {
                    Logger.NotificationRejected(e.Channel, e.Payload?.Length ?? 0);
                }

                // Counted and reported in band as a loss of every subscription of the channel.
                foreach (var subscription in subscriptions)
                {
                    subscription.Pump.ReportLost(1);
                }

                return;
        }
    }

    private static void Post(PostgresSubscription[] subscriptions, ReadOnlySpan<byte> delivery)
    {
        foreach (var subscription in subscriptions)
        {
            subscription.Pump.TryPost(delivery);
        }
    }

    private sealed class ListenWaiter(string channel)
    {
        public string Channel { get; } = channel;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
