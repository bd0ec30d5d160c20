using System.Net;
using StackExchange.Redis;

namespace HydrateCache.Redis;

public sealed partial class RedisTransport
{
    private const int MaxRecoveryPollMilliseconds = 1000;

    private readonly Lock _stateLock = new();
    private readonly Dictionary<(EndPoint EndPoint, ConnectionType Type), long> _socketCounts = [];
    private readonly Dictionary<(EndPoint EndPoint, ConnectionType Type), long> _restoredConnectionIds = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _connected;
    private bool _disconnectReported;
    private int _watching;

    /// <inheritdoc />
    /// <remarks>
    /// <para>Raised with <see langword="false"/> when StackExchange.Redis reports that the connection carrying subscriptions
    /// failed (its dedicated subscription connection; the interactive one when a RESP3 multiplexer uses only one), or was
    /// replaced without a failure report, and with <see langword="true"/>
    /// when the connection is back and the server has confirmed every subscription of this transport again
    /// (StackExchange.Redis re-subscribes by itself). Messages published in between are lost: Redis pub/sub is
    /// at-most-once. No user action is needed to resume.</para>
    /// <para>Handlers run on a thread-pool thread, one event at a time, <see langword="false"/> and <see langword="true"/>
    /// alternating, starting with <see langword="false"/> (a multiplexer that is still connecting when the transport is
    /// created connects silently); they must not block. A handler that throws is logged.</para>
    /// </remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>
    /// Gets a value indicating whether the connection that carries subscriptions is up and every subscription of this
    /// transport is established, as last reported through <see cref="ConnectionChanged"/>.
    /// </summary>
    public bool IsConnected => Volatile.Read(ref _connected);

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (IsDisposed || !CarriesSubscriptions(e.EndPoint, e.ConnectionType))
        {
            return;
        }

        var connectionId = ParseConnectionId(e.ToString());
        lock (_stateLock)
        {
            // StackExchange.Redis raises its events on thread-pool threads: after a quick reconnect, the failure of the old
            // connection can arrive after the new one was reported restored. That gap was reported already.
            if (e.EndPoint is not null && connectionId >= 0
                && _restoredConnectionIds.TryGetValue((e.EndPoint, e.ConnectionType), out var restoredId) && connectionId < restoredId)
            {
                return;
            }

            _logger.ConnectionLost(e.Exception, e.ConnectionType, Format(e.EndPoint), e.FailureType);
            Interlocked.Increment(ref _generation);
            if (_connected)
            {
                Volatile.Write(ref _connected, false);
                _disconnectReported = true;
                Raise(new TransportConnectionEventArgs(false, e.Exception));
            }
        }

        StartWatching();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (IsDisposed || !CarriesSubscriptions(e.EndPoint, e.ConnectionType))
        {
            return;
        }

        var connectionId = ParseConnectionId(e.ToString());
        lock (_stateLock)
        {
            if (e.EndPoint is not null && connectionId >= 0)
            {
                var key = (e.EndPoint, e.ConnectionType);
                _restoredConnectionIds[key] = Math.Max(connectionId, _restoredConnectionIds.GetValueOrDefault(key, -1));
            }

            // StackExchange.Redis does not raise ConnectionFailed for every drop (for example when the server closes a
            // subscriber over its output buffer limit). A connection opened after the one seen last means a gap all the same.
            if (RecordSocketCount(e.EndPoint, e.ConnectionType))
            {
                Interlocked.Increment(ref _generation);
                if (_connected)
                {
                    _logger.ReconnectedWithoutFailureReport(e.ConnectionType, Format(e.EndPoint));
                    Volatile.Write(ref _connected, false);
                    _disconnectReported = true;
                    Raise(new TransportConnectionEventArgs(false));
                }
            }

            if (_connected)
            {
                return;
            }
        }

        StartWatching();
        Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Reads StackExchange.Redis' physical connection number from a connection name such as
    /// <c>Subscription#12@127.0.0.1:6379 (Idle)</c>; numbers grow with every new connection. Returns -1 when the name has
    /// another shape (the transport then does without it).
    /// </summary>
    internal static long ParseConnectionId(string? physicalName)
    {
        if (physicalName is null)
        {
            return -1;
        }

        var hash = physicalName.IndexOf('#', StringComparison.Ordinal);
        var at = hash < 0 ? -1 : physicalName.IndexOf('@', hash + 1);
        return at > hash + 1 && long.TryParse(physicalName.AsSpan(hash + 1, at - hash - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : -1;
    }

    /// <summary>Records how many sockets every connection of the multiplexer has opened so far (at construction, and whenever the subscriptions are confirmed live).</summary>
    private void RecordSocketCounts()
    {
        foreach (var endPoint in _multiplexer.GetEndPoints())
        {
            RecordSocketCount(endPoint, ConnectionType.Interactive);
            RecordSocketCount(endPoint, ConnectionType.Subscription);
        }
    }

    /// <summary>
    /// Records the number of sockets the connection of <paramref name="connectionType"/> to <paramref name="endPoint"/> has
    /// opened (StackExchange.Redis counts every connect); returns whether it grew since it was last recorded (or is unknown).
    /// </summary>
    private bool RecordSocketCount(EndPoint? endPoint, ConnectionType connectionType)
    {
        if (endPoint is null)
        {
            return true;
        }

        long count;
        try
        {
            var counters = _multiplexer.GetServer(endPoint).GetCounters();
            count = connectionType == ConnectionType.Subscription ? counters.Subscription.SocketCount : counters.Interactive.SocketCount;
        }
        catch (Exception)
        {
            return true;
        }

        var key = (endPoint, connectionType);
        var grew = !_socketCounts.TryGetValue(key, out var previous) || count > previous;
        _socketCounts[key] = count;
        return grew;
    }

    /// <summary>Starts <see cref="WatchUntilRestoredAsync"/> unless it runs already.</summary>
    private void StartWatching()
    {
        if (!IsDisposed && Interlocked.CompareExchange(ref _watching, 1, 0) == 0)
        {
            _ = WatchUntilRestoredAsync();
        }
    }

    /// <summary>
    /// Polls the multiplexer's own state until the subscriptions are live again, then reports it. The multiplexer's events
    /// only wake this loop up: StackExchange.Redis raises them on thread-pool threads, so after a quick reconnect the
    /// "restored" event can be handled before the "failed" one, and a state machine driven by them alone would stick.
    /// </summary>
    private async Task WatchUntilRestoredAsync()
    {
        try
        {
            var delay = 10;
            while (!IsDisposed)
            {
                var generation = Interlocked.Read(ref _generation);
                if (await AreSubscriptionsLiveAsync().ConfigureAwait(false))
                {
                    lock (_stateLock)
                    {
                        if (IsDisposed || Volatile.Read(ref _connected))
                        {
                            return;
                        }

                        if (Interlocked.Read(ref _generation) == generation)
                        {
                            Volatile.Write(ref _connected, true);

                            // The connections seen now are not news to a "restored" event handled after this point.
                            RecordSocketCounts();
                            if (_disconnectReported)
                            {
                                _disconnectReported = false;
                                _logger.ConnectionRestored(_subscriptions.Count);
                                Raise(new TransportConnectionEventArgs(true));
                            }

                            return;
                        }
                    }

                    // Another failure was reported while checking: check again.
                    delay = 10;
                    continue;
                }

                await Volatile.Read(ref _wake).Task
                    .WaitAsync(TimeSpan.FromMilliseconds(delay))
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = Math.Min(delay * 2, MaxRecoveryPollMilliseconds);
            }
        }
        finally
        {
            Volatile.Write(ref _watching, 0);

            // A failure reported between the "connected" decision above and this point found the loop still running.
            if (!IsDisposed && !Volatile.Read(ref _connected))
            {
                StartWatching();
            }
        }
    }

    /// <summary>
    /// Whether every subscription of this transport is established on a connected server. StackExchange.Redis forgets a
    /// subscription's server when the connection carrying it drops and records it again when the server confirms the
    /// re-sent SUBSCRIBE; a PING through the subscriber travels that connection after the SUBSCRIBEs sent so far.
    /// </summary>
    private async Task<bool> AreSubscriptionsLiveAsync()
    {
        try
        {
            if (!_subscriber.IsConnected())
            {
                return false;
            }

            foreach (var subscription in _subscriptions.Keys)
            {
                if (!_subscriber.IsConnected(subscription.Channel))
                {
                    return false;
                }
            }

            await _subscriber.PingAsync().ConfigureAwait(false);
            foreach (var subscription in _subscriptions.Keys)
            {
                if (_subscriber.SubscribedEndpoint(subscription.Channel) is null)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception)
        {
            // Not back yet (the ping failed or timed out): the caller polls again.
            return false;
        }
    }

    /// <summary>
    /// Whether a connection of <paramref name="connectionType"/> to <paramref name="endPoint"/> carries subscriptions:
    /// StackExchange.Redis' dedicated subscription connection when the multiplexer has opened one (always with RESP2; with
    /// RESP3 too, as of StackExchange.Redis 3.4), otherwise the interactive connection (RESP3 can carry both on one).
    /// </summary>
    private bool CarriesSubscriptions(EndPoint? endPoint, ConnectionType connectionType)
    {
        switch (connectionType)
        {
            case ConnectionType.Subscription:
                return true;
            case ConnectionType.Interactive when endPoint is not null:
                try
                {
                    return _multiplexer.GetServer(endPoint).GetCounters().Subscription.SocketCount == 0;
                }
                catch (Exception)
                {
                    return false;
                }

            default:
                return false;
        }
    }

    /// <summary>Raises <see cref="ConnectionChanged"/>; called under <see cref="_stateLock"/> so events keep their order.</summary>
    private void Raise(TransportConnectionEventArgs args)
    {
        var handlers = ConnectionChanged;
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<TransportConnectionEventArgs>)handler)(this, args);
            }
            catch (Exception ex)
            {
                _logger.ConnectionChangedHandlerFailed(ex, args.IsConnected);
            }
        }
    }

    private static string Format(EndPoint? endPoint) => endPoint?.ToString() ?? "(unknown)";
}
