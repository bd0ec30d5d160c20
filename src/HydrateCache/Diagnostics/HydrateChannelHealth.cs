using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HydrateCache;

/// <summary>
/// The health facts of one channel's cache: whether its topic is subscribed, its cache warm, its transport connected,
/// and whether a detected loss is still unrepaired, each with the time it began. <see cref="HydrateHealthCheck"/> turns
/// them into healthy, degraded or unhealthy with <see cref="HydrateHealthOptions"/>. Thread-safe.
/// </summary>
/// <remarks>
/// <para><see cref="HydrateChannel{T}.Health"/> records what the channel sees itself: <see cref="HydrateChannel{T}.HydrateAsync"/>
/// and <see cref="HydrateChannel{T}.SubscribeAsync"/> report the subscription and the transport's connection, every
/// <see cref="HydrateChannel{T}.LossDetected"/> is a loss, the cache's warm flag is read, and a load from the channel's
/// source after a loss repairs it. A host that subscribes by itself (the Orleans integration does) reports the rest
/// through the <c>Report…</c> methods.</para>
/// <para>A loss stays "possibly stale" until it is repaired: by a load from the source or a repair from peers
/// (<see cref="ReportRepaired"/>), or, for a transport loss or a reconnect, when loss recovery has had the time to ask
/// for and receive what was missed (two heartbeat intervals, the longest request delay and every request attempt) and
/// misses nothing. A loss that recovery gave up (<see cref="HydrateLossReason.Unrecoverable"/>) needs a repair.</para>
/// </remarks>
public sealed class HydrateChannelHealth
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan? _recoverySettle;
    private readonly Func<ulong>? _missing;
    private Task? _whenWarm;
    private bool _subscribed;
    private DateTimeOffset _subscriptionSince;
    private string? _subscribeFailure;
    private DateTimeOffset? _disconnectedSince;
    private string? _warmStartFailure;
    private long _losses;
    private long _repairs;
    private long _disconnects;
    private HydrateLossReason? _lastLossReason;
    private DateTimeOffset? _lastLossAt;
    private DateTimeOffset? _staleSince;
    private bool _staleUnrecoverable;
    private DateTimeOffset _lastRecovered;

    /// <summary>Initializes a new instance of the <see cref="HydrateChannelHealth"/> class.</summary>
    /// <param name="channel">The channel name.</param>
    /// <param name="timeProvider">The clock of the channel.</param>
    /// <param name="recoverySettle">How long loss recovery needs to repair a transport loss or a reconnect by itself; <see langword="null"/> when recovery is off.</param>
    /// <param name="missing">How many sequences loss recovery still misses.</param>
    internal HydrateChannelHealth(string channel, TimeProvider timeProvider, TimeSpan? recoverySettle = null, Func<ulong>? missing = null)
    {
        Channel = channel;
        _timeProvider = timeProvider;
        _recoverySettle = recoverySettle;
        _missing = missing;
        _subscriptionSince = _lastRecovered = timeProvider.GetUtcNow();
    }

    /// <summary>Gets the channel name.</summary>
    public string Channel { get; }

    /// <summary>Gets how many losses were reported (<see cref="ReportLoss"/>); read it before a repair starts, for <see cref="ReportRepaired"/>.</summary>
    public long LossCount
    {
        get
        {
            lock (_lock)
            {
                return _losses;
            }
        }
    }

    /// <summary>Gets how many times the transport reported this channel's connection lost.</summary>
    public long DisconnectCount
    {
        get
        {
            lock (_lock)
            {
                return _disconnects;
            }
        }
    }

    /// <summary>Gets how many repairs ended a "possibly stale" state (a load from the source, a repair from peers, or loss recovery catching up).</summary>
    public long RepairCount
    {
        get
        {
            Refresh();
            lock (_lock)
            {
                return _repairs;
            }
        }
    }

    /// <summary>Gets a value indicating whether the channel's topic is subscribed.</summary>
    public bool IsSubscribed
    {
        get
        {
            lock (_lock)
            {
                return _subscribed;
            }
        }
    }

    /// <summary>Gets a value indicating whether the transport is connected (as far as it reported).</summary>
    public bool IsConnected
    {
        get
        {
            lock (_lock)
            {
                return _disconnectedSince is null;
            }
        }
    }

    /// <summary>Gets a value indicating whether a detected loss is not repaired yet: the cache may serve stale values.</summary>
    public bool IsPossiblyStale
    {
        get
        {
            Refresh();
            lock (_lock)
            {
                return _staleSince is not null;
            }
        }
    }

    /// <summary>Reports that the channel's topic is subscribed (which also means the transport is connected).</summary>
    public void ReportSubscribed()
    {
        lock (_lock)
        {
            _subscribed = true;
            _subscribeFailure = null;
            _disconnectedSince = null;
            _subscriptionSince = _lastRecovered = _timeProvider.GetUtcNow();
        }
    }

    /// <summary>Reports that subscribing the channel's topic failed: unhealthy until <see cref="ReportSubscribed"/>.</summary>
    /// <param name="exception">The error; only its type name is kept (a message may hold an address or a credential).</param>
    public void ReportSubscribeFailed(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        lock (_lock)
        {
            if (_subscribed)
            {
                _subscriptionSince = _timeProvider.GetUtcNow();
            }

            _subscribed = false;
            _subscribeFailure = exception.GetType().Name;
        }
    }

    /// <summary>Reports that the channel's subscription ended (the host stopped it).</summary>
    public void ReportUnsubscribed()
    {
        lock (_lock)
        {
            _subscribed = false;
            _disconnectedSince = null;
            _subscriptionSince = _timeProvider.GetUtcNow();
        }
    }

    /// <summary>
    /// Reports a change of the transport's connection (<see cref="ITransport.ConnectionChanged"/>). A reconnect is not
    /// a loss by itself here: report the loss it may have caused with <see cref="ReportLoss"/>.
    /// </summary>
    /// <param name="isConnected">Whether the transport is connected now.</param>
    public void ReportConnectionChanged(bool isConnected)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            if (!isConnected && _disconnectedSince is null)
            {
                _disconnectedSince = now;
                _disconnects++;
            }
            else if (isConnected && _disconnectedSince is not null)
            {
                _disconnectedSince = null;
                _lastRecovered = now;
            }
        }
    }

    /// <summary>Reports that updates may have been missed: the cache is possibly stale until repaired.</summary>
    /// <param name="reason">Why.</param>
    public void ReportLoss(HydrateLossReason reason)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            _losses++;
            _lastLossReason = reason;
            _lastLossAt = now;
            _staleSince ??= now;
            _staleUnrecoverable |= reason == HydrateLossReason.Unrecoverable;
        }
    }

    /// <summary>
    /// Reports a completed repair (a load from the source, a copy from peers) that began when <see cref="LossCount"/>
    /// was <paramref name="lossCountAtStart"/>: it repaired those losses, not the ones reported while it ran.
    /// </summary>
    /// <param name="lossCountAtStart"><see cref="LossCount"/> read before the repair started.</param>
    public void ReportRepaired(long lossCountAtStart)
    {
        lock (_lock)
        {
            if (_staleSince is null)
            {
                return;
            }

            if (lossCountAtStart >= _losses)
            {
                _staleSince = null;
                _staleUnrecoverable = false;
                _repairs++;
                _lastRecovered = _timeProvider.GetUtcNow();
            }
            else
            {
                // Later losses are still unrepaired: stale since the latest (the earlier ones are repaired).
                _staleSince = _lastLossAt;
            }
        }
    }

    /// <summary>Reports that the cache could not be warmed (no peer answered and no source could be loaded in time): unhealthy until it is warm.</summary>
    /// <param name="reason">What failed, for the health report; must not hold secrets.</param>
    public void ReportWarmStartFailed(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        lock (_lock)
        {
            _warmStartFailure = reason;
        }
    }

    /// <summary>Follows the warm flag of the channel's cache.</summary>
    internal void TrackWarmth(Task whenWarm)
    {
        lock (_lock)
        {
            _whenWarm = whenWarm;
        }

        if (!whenWarm.IsCompleted)
        {
            _ = whenWarm.ContinueWith(
                static (_, state) => ((HydrateChannelHealth)state!).OnWarm(),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Evaluates the channel with <paramref name="options"/>: its status, the reasons of anything but healthy, and since
    /// when it is in that state; adds its facts to <paramref name="data"/> under <paramref name="prefix"/>.
    /// </summary>
    internal HealthStatus Evaluate(HydrateHealthOptions options, List<string> reasons, IDictionary<string, object> data, string prefix)
    {
        Refresh();
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            var status = HealthStatus.Healthy;
            DateTimeOffset? since = null;
            void Issue(string what, DateTimeOffset start, TimeSpan threshold, bool failed = false)
            {
                var lasted = now - start;
                var unhealthy = failed || (threshold != Timeout.InfiniteTimeSpan && lasted >= threshold);
                var text = $"{what} for {Seconds(lasted)}";
                if (unhealthy && !failed)
                {
                    text += $" (unhealthy after {Seconds(threshold)})";
                }

                reasons.Add($"{Channel}: {text}");
                status = unhealthy ? HealthStatus.Unhealthy : (HealthStatus)Math.Min((int)status, (int)HealthStatus.Degraded);
                since = since is { } earlier && earlier < start ? earlier : start;
            }

            var warm = _whenWarm is null || _whenWarm.IsCompletedSuccessfully;
            if (!_subscribed)
            {
                Issue(_subscribeFailure is null ? "not subscribed" : $"subscribing failed ({_subscribeFailure})", _subscriptionSince, options.UnsubscribedUnhealthyAfter, _subscribeFailure is not null);
            }
            else
            {
                if (!warm)
                {
                    Issue(_warmStartFailure is null ? "warming (cache not loaded yet)" : $"warm start failed ({_warmStartFailure})", _subscriptionSince, options.WarmingUnhealthyAfter, _warmStartFailure is not null);
                }

                if (_disconnectedSince is { } disconnected)
                {
                    Issue("transport disconnected", disconnected, options.DisconnectedUnhealthyAfter);
                }
            }

            if (_staleSince is { } stale)
            {
                Issue($"possibly stale ({(_staleUnrecoverable ? HydrateLossReason.Unrecoverable : _lastLossReason)} not repaired)", stale, options.StaleUnhealthyAfter);
            }

            data[prefix + "status"] = status.ToString();
            data[prefix + "since"] = since ?? _lastRecovered;
            data[prefix + "subscribed"] = _subscribed;
            data[prefix + "warm"] = warm;
            data[prefix + "connected"] = _disconnectedSince is null;
            data[prefix + "possiblyStale"] = _staleSince is not null;
            data[prefix + "losses"] = _losses;
            data[prefix + "repairs"] = _repairs;
            data[prefix + "disconnects"] = _disconnects;
            if (_lastLossReason is { } lastReason)
            {
                data[prefix + "lastLossReason"] = lastReason.ToString();
                data[prefix + "lastLossAt"] = _lastLossAt!.Value;
            }

            return status;
        }
    }

    /// <summary>Ends a "possibly stale" state that loss recovery has had the time to repair by itself.</summary>
    private void Refresh()
    {
        // Read outside the lock: loss recovery reports losses to this object while it holds its own lock.
        var missing = _missing?.Invoke() ?? 0;
        lock (_lock)
        {
            if (_staleSince is null || _staleUnrecoverable || _recoverySettle is not { } settle || missing > 0)
            {
                return;
            }

            var settled = _lastLossAt!.Value + settle;
            if (_timeProvider.GetUtcNow() >= settled)
            {
                _staleSince = null;
                _repairs++;
                _lastRecovered = settled;
            }
        }
    }

    private void OnWarm()
    {
        lock (_lock)
        {
            _warmStartFailure = null;
            _lastRecovered = _timeProvider.GetUtcNow();
        }
    }

    private static string Seconds(TimeSpan duration) =>
        duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";
}
