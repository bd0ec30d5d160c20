using NATS.Client.Core;

namespace HydrateCache.Nats;

/// <summary>Handlers of the connection's events: connection state, drops, slow consumers, server errors.</summary>
public sealed partial class NatsTransport
{
    private readonly Lock _stateLock = new();

    // Guarded by _stateLock: the connection is down (reported by NATS.Net), how many subscriptions are being replaced,
    // and what ConnectionChanged last said (true = down).
    private bool _connectionDown;
    private int _subscriptionsDown;
    private bool _reportedDown;

    // NATS.Net raises its events one at a time from a single event task, so these handlers never run concurrently with
    // each other; they are still written to be safe if they did.
    private ValueTask OnConnectionDisconnectedAsync(object? sender, NatsEventArgs args)
    {
        if (Volatile.Read(ref _disposed) == 0 && Interlocked.Exchange(ref _reportedDisconnected, 1) == 0)
        {
            _logger.ConnectionLost(args.Message, _subscriptions.Count);
            UpdateState(static transport => transport._connectionDown = true);
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask OnConnectionOpenedAsync(object? sender, NatsEventArgs args)
    {
        // The first connect is not a change anybody needs to recover from; only a reconnect after a reported loss is.
        if (Volatile.Read(ref _disposed) != 0 || Volatile.Read(ref _reportedDisconnected) == 0)
        {
            return;
        }

        // NATS.Net has written the resubscriptions before raising ConnectionOpened; a PING/PONG round trip proves the
        // server processed them, so a message published after IsConnected=true is delivered. Best effort: if the
        // connection drops again meanwhile, ConnectionDisconnected follows anyway.
        using (var timeout = new CancellationTokenSource(ResubscribeFenceTimeout))
        {
            try
            {
                await _connection.PingAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or NatsException or TimeoutException or ObjectDisposedException)
            {
            }
        }

        if (Volatile.Read(ref _disposed) == 0 && Interlocked.Exchange(ref _reportedDisconnected, 0) == 1)
        {
            _logger.ConnectionRestored(args.Message, _subscriptions.Count);
            UpdateState(static transport => transport._connectionDown = false);
        }
    }

    private ValueTask OnReconnectFailedAsync(object? sender, NatsEventArgs args)
    {
        _logger.ReconnectFailed(args.Message);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnMessageDroppedAsync(object? sender, NatsMessageDroppedEventArgs args)
    {
        // Drops of subscriptions that are not this transport's (the connection may be shared) are not ours to count.
        if (_subscriptions.TryGetValue(args.Subscription, out var subscription))
        {
            subscription.OnDropped();
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnSlowConsumerDetectedAsync(object? sender, NatsSlowConsumerEventArgs args)
    {
        if (_subscriptions.TryGetValue(args.Subscription, out var subscription))
        {
            _logger.SlowConsumer(subscription.Topic, _clientBufferCapacity);
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _logger.ServerError(args.Error);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A subscription that NATS.Net ended is down until it is subscribed again: the transport is not fully connected.</summary>
    private void OnSubscriptionLost(string topic)
    {
        _logger.SubscriptionDown(topic);
        UpdateState(static transport => transport._subscriptionsDown++);
    }

    /// <summary>A replaced subscription is back (the server processed its SUB).</summary>
    private void OnSubscriptionRestored() => UpdateState(static transport => transport._subscriptionsDown--);

    /// <summary>
    /// Changes the connection state and raises <see cref="ConnectionChanged"/> when the transport as a whole went from up
    /// (connection open, every subscription established) to down or back. Under the state lock, so the events alternate
    /// and arrive in the order of the changes.
    /// </summary>
    private void UpdateState(Action<NatsTransport> change)
    {
        lock (_stateLock)
        {
            change(this);
            var down = _connectionDown || _subscriptionsDown > 0;
            if (down == _reportedDown || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _reportedDown = down;
            RaiseConnectionChanged(!down);
        }
    }

    private void RaiseConnectionChanged(bool isConnected)
    {
        var handlers = ConnectionChanged;
        if (handlers is null)
        {
            return;
        }

        var args = new TransportConnectionEventArgs(isConnected);
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<TransportConnectionEventArgs>)handler)(this, args);
            }
            catch (Exception ex)
            {
                _logger.ConnectionChangedHandlerFailed(ex, isConnected);
            }
        }
    }
}
