using Microsoft.Extensions.Logging;

namespace HydrateCache;

/// <summary>
/// The loss recovery of one channel instance (see <see cref="HydrateRecoveryOptions"/>): as a sender it keeps a
/// retransmit window, sends heartbeats and answers requests; as a receiver it tracks every sender's sequence numbers and
/// requests what it missed. Both roles share the channel's control topic subscription, made on first use.
/// </summary>
internal sealed class ChannelRecovery : IAsyncDisposable
{
    /// <summary>
    /// Slack on a receiver's start time in first-contact requests, for senders whose clocks differ a little. Every
    /// millisecond of it makes a sender resend what it published in that millisecond to a receiver that joins while it
    /// writes, so it is kept to what NTP-synchronised hosts differ by; a message missed within a larger clock difference
    /// is left to the other repairs (peers, anti-entropy, the source).
    /// </summary>
    private const long SinceSlackMs = 50;

    private readonly IRecoveryHost _host;
    private readonly ITransport _transport;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _failureLog;
    private readonly RetransmitWindow _window;
    private readonly GapTracker _tracker;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _heartbeatTicks;
    private readonly long _windowAgeTicks;
    private ITimer? _timer;
    private Task _subscribing = Task.CompletedTask;
    private ITransportSubscription? _subscription;
    private long _scheduledAt = long.MaxValue;
    private long _lastHeartbeat;
    private int _started;

    public ChannelRecovery(IRecoveryHost host, ITransport transport, HydrateRecoveryOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _host = host;
        _transport = transport;
        _timeProvider = timeProvider;
        _logger = logger;
        _failureLog = new LogRateLimiter(timeProvider, TimeSpan.FromSeconds(10));
        _window = new RetransmitWindow(options, timeProvider);
        _tracker = new GapTracker(host.SenderId, options, timeProvider.TimestampFrequency);
        _heartbeatTicks = TimestampSpan.From(options.HeartbeatInterval, timeProvider.TimestampFrequency);
        _windowAgeTicks = TimestampSpan.From(options.RetransmitWindowAge, timeProvider.TimestampFrequency);
        ControlTopic = host.Topic + ControlFrame.TopicSuffix;
    }

    public string ControlTopic { get; }

    /// <summary>Gets the number of sequences this receiver currently misses.</summary>
    internal ulong Missing
    {
        get
        {
            lock (_lock)
            {
                return _tracker.MissingCount;
            }
        }
    }

    /// <summary>
    /// Subscribes to the control topic (once); with <paramref name="receiving"/>, also starts the receiver role: from now
    /// on, sequences of other senders are tracked and missing ones requested.
    /// </summary>
    public Task StartAsync(bool receiving)
    {
        if (receiving)
        {
            lock (_lock)
            {
                if (_tracker.SubscribedSince == 0)
                {
                    _tracker.SubscribedSince = Math.Max(1, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() - SinceSlackMs);
                }
            }
        }

        return Start();
    }

    /// <summary>Records a frame of this sender handed to the transport.</summary>
    public void OnSending(ulong sequence, byte[] frame, HybridTimestamp version)
    {
        _window.Record(sequence, frame, version.PhysicalTime);
        _ = Start();
        Schedule(_timeProvider.GetTimestamp() + _heartbeatTicks);
    }

    /// <summary>Records a message received on the data topic (applied or not: it arrived).</summary>
    public void OnData(Guid sender, ulong sequence)
    {
        var now = _timeProvider.GetTimestamp();
        long? due = null;
        lock (_lock)
        {
            var recovered = _tracker.Recovered;
            var detected = _tracker.Detected;
            if (_tracker.OnData(sender, sequence, now))
            {
                due = _tracker.NextDue();
            }

            if (_tracker.Recovered != recovered)
            {
                _host.Statistics.OnRecovered(_tracker.Recovered - recovered);
            }

            if (_tracker.Detected != detected)
            {
                _host.Statistics.OnGaps(_tracker.Detected - detected);
            }
        }

        if (due is { } at)
        {
            Schedule(at);
        }
    }

    /// <summary>Subscribes to the control topic (once); the task completes when the first subscription is made.</summary>
    private Task Start()
    {
        if (_disposed.IsCancellationRequested)
        {
            return _subscribed.Task;
        }

        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _timer = _timeProvider.CreateTimer(static state => ((ChannelRecovery)state!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _subscribing = SubscribeAsync(_disposed.Token);
        }

        return _subscribed.Task;
    }

    /// <summary>Subscribes to the control topic, retrying with backoff until it succeeds or recovery is disposed.</summary>
    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var subscription = await new TransportBackoff(timeProvider: _timeProvider).RetryAsync(
                token => _transport.SubscribeAsync(ControlTopic, OnControlAsync, token),
                (ex, _, delay) =>
                {
                    _logger.RecoverySubscribeFailed(ex, _host.Name, ControlTopic, delay);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (!_disposed.IsCancellationRequested)
                {
                    _subscription = subscription;
                    subscription = null;
                }
            }

            if (subscription is not null)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }

            _subscribed.TrySetResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed before the subscription was made.
        }
    }

    private ValueTask OnControlAsync(TransportMessage message, CancellationToken cancellationToken)
    {
        if (message.LostBefore > 0)
        {
            // Control messages repeat (heartbeats) or are retried (requests): a lost one delays recovery, it loses nothing.
            _host.OnControlLost(message.LostBefore);
            if (message.IsLossNotice)
            {
                return ValueTask.CompletedTask;
            }
        }

        if (!_host.VerifyControl(message.Body))
        {
            return ValueTask.CompletedTask;
        }

        var result = ControlFrame.TryRead(message.Body, out var control);
        if (result != EnvelopeReadResult.Success || control is null)
        {
            _host.OnControlRejected(result, message.Body.Length);
            return ValueTask.CompletedTask;
        }

        var now = _timeProvider.GetTimestamp();
        var self = _host.SenderId;
        switch (control.Kind)
        {
            case ControlKind.Heartbeat when control.Sender != self:
                if (!_host.ObserveVersion(control.Sender, control.Version))
                {
                    break;
                }

                ulong givenUp;
                lock (_lock)
                {
                    var detected = _tracker.Detected;
                    givenUp = _tracker.SubscribedSince == 0 ? 0 : _tracker.OnHeartbeat(control.Sender, control.LastSequence, control.FirstAvailable, now);
                    if (_tracker.Detected != detected)
                    {
                        _host.Statistics.OnGaps(_tracker.Detected - detected);
                    }
                }

                ReportUnrecoverable(control.Sender, givenUp);
                Reschedule();
                break;
            case ControlKind.Nak when control.Sender == self:
                Serve(control);
                break;
            case ControlKind.Nak when control.Requester != self:
                lock (_lock)
                {
                    _tracker.OnNakSeen(control.Sender, control.Since, control.Ranges, now);
                }

                break;
            case ControlKind.NakReply when control.Sender != self:
                ulong lost;
                lock (_lock)
                {
                    lost = _tracker.OnNakReply(control.Sender, control.Requester, control.Floor, control.Ranges, control.VoidRanges);
                }

                ReportUnrecoverable(control.Sender, lost);
                break;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Answers a request for this sender's messages: publishes them again on the channel's topic.</summary>
    private void Serve(ControlFrame request)
    {
        var answer = _window.Answer(request.Ranges, request.Since);
        foreach (var frame in answer.Frames)
        {
            Send(_host.Topic, frame, ControlSendKind.Retransmission);
        }

        if (answer.Lost.Count > 0 || answer.Void.Count > 0 || answer.Floor > 0)
        {
            Send(ControlTopic, _host.EncodeControl(ControlFrame.NakReply(_host.SenderId, request.Requester, answer.Floor, answer.Lost, answer.Void)), ControlSendKind.Reply);
        }
    }

    private void Tick()
    {
        var now = _timeProvider.GetTimestamp();
        var requests = new List<ControlFrame>();
        var givenUp = new List<(Guid Sender, ulong Count)>();
        var heartbeat = false;
        lock (_lock)
        {
            _scheduledAt = long.MaxValue;
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _tracker.Collect(now, requests, givenUp, _host.SenderId);
            if (HeartbeatActive(now) && now - _lastHeartbeat >= _heartbeatTicks - (_heartbeatTicks / 20))
            {
                _lastHeartbeat = now;
                heartbeat = true;
            }
        }

        _window.Trim();
        if (heartbeat)
        {
            Send(ControlTopic, _host.EncodeControl(ControlFrame.Heartbeat(_host.SenderId, _window.LastSequence, _window.FirstAvailable, _host.CurrentVersion)), ControlSendKind.Heartbeat);
        }

        foreach (var request in requests)
        {
            Send(ControlTopic, _host.EncodeControl(request), ControlSendKind.Request);
        }

        foreach (var (sender, count) in givenUp)
        {
            ReportUnrecoverable(sender, count);
        }

        Reschedule();
    }

    /// <summary>Heartbeats run while the window may hold something: until its age bound has passed since the last message.</summary>
    private bool HeartbeatActive(long now) => _window.LastSequence > 0 && now - _window.LastRecorded <= _windowAgeTicks;

    private void Reschedule()
    {
        long? next;
        lock (_lock)
        {
            next = _tracker.NextDue();
            var now = _timeProvider.GetTimestamp();
            if (HeartbeatActive(now))
            {
                var heartbeatAt = _lastHeartbeat + _heartbeatTicks;
                next = next is { } n ? Math.Min(n, heartbeatAt) : heartbeatAt;
            }
        }

        if (next is { } at)
        {
            Schedule(at);
        }
    }

    /// <summary>Makes the timer fire at <paramref name="at"/> (a timestamp) unless it fires earlier already.</summary>
    private void Schedule(long at)
    {
        lock (_lock)
        {
            if (_timer is null || at >= _scheduledAt || _disposed.IsCancellationRequested)
            {
                return;
            }

            _scheduledAt = at;
            var now = _timeProvider.GetTimestamp();
            _timer.Change(_timeProvider.GetElapsedTime(now, Math.Max(at, now)), Timeout.InfiniteTimeSpan);
        }
    }

    private void ReportUnrecoverable(Guid sender, ulong count)
    {
        if (count == 0)
        {
            return;
        }

        _host.Statistics.OnUnrecovered((long)count);
        _logger.RecoveryGaveUp(_host.Name, (long)count, sender);
        _host.OnLoss(new HydrateLossEventArgs(_host.Name, HydrateLossReason.Unrecoverable, sender, (long)count));
    }

    private void Send(string topic, byte[] frame, ControlSendKind kind)
    {
        switch (kind)
        {
            case ControlSendKind.Retransmission:
                _host.Statistics.OnRetransmitted();
                break;
            case ControlSendKind.Request:
                _host.Statistics.OnRetransmitRequested();
                break;
            case ControlSendKind.Heartbeat:
                _host.Statistics.OnHeartbeatSent();
                break;
        }

        if (kind != ControlSendKind.Retransmission)
        {
            _host.Statistics.OnControlSent(frame.Length);
        }

        _ = SendCoreAsync(topic, frame);
    }

    private async Task SendCoreAsync(string topic, byte[] frame)
    {
        try
        {
            await _transport.PublishAsync(topic, frame, _disposed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!_disposed.IsCancellationRequested)
        {
            // A lost heartbeat, request or retransmission is repeated (next heartbeat, next attempt): log, never throw.
            if (_failureLog.ShouldLog(0, out var suppressed))
            {
                _logger.RecoveryPublishFailed(ex, _host.Name, topic, suppressed);
            }
        }
        catch (Exception)
        {
            // Disposed meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        ITransportSubscription? subscription;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            subscription = _subscription;
            _subscription = null;
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        _subscribed.TrySetCanceled();
        await _subscribing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (subscription is not null)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    private enum ControlSendKind
    {
        Heartbeat,
        Request,
        Reply,
        Retransmission,
    }
}

/// <summary>What <see cref="ChannelRecovery"/> needs from its channel.</summary>
internal interface IRecoveryHost
{
    string Name { get; }

    string Topic { get; }

    Guid SenderId { get; }

    HydrateChannelStatistics Statistics { get; }

    /// <summary>Gets the newest version the channel issued or observed.</summary>
    HybridTimestamp CurrentVersion { get; }

    /// <summary>Lets the channel's clock observe a version another sender announced; false when it is refused (too far ahead, counted).</summary>
    bool ObserveVersion(Guid sender, HybridTimestamp version);

    void OnControlRejected(EnvelopeReadResult result, int length);

    /// <summary>Encodes a control frame to publish, signed when the channel signs.</summary>
    byte[] EncodeControl(ControlFrame control);

    /// <summary>Checks a received control frame's signature when the channel signs; false when it is dropped (counted and logged).</summary>
    bool VerifyControl(ReadOnlyMemory<byte> frame);

    void OnControlLost(long count);

    void OnLoss(HydrateLossEventArgs args);
}
