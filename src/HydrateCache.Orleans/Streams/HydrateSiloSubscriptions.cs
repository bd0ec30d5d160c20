using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// One silo's subscriptions of every channel on one HydrateCache transport, held for the silo's whole life: subscribed
/// early in start-up (<see cref="ServiceLifecycleStage.RuntimeInitialize"/>, before the silo takes part in the cluster)
/// and unsubscribed when the silo stops. The silo's pulling agent reads them through <see cref="HydrateQueueAdapterReceiver"/>
/// and delivers to the silo's worker grain of each channel.
/// </summary>
/// <remarks>
/// <para><b>Pushed, not polled.</b> The pulling agent reads again as soon as a read returns data, and a read here waits
/// for the next message instead of returning empty, so the agent's timer (100 ms by default) never adds latency: an
/// update is delivered as soon as the transport hands it over. A read returns empty only when the receiver shuts down.</para>
/// <para><b>One buffer.</b> The transport subscription's pump is the only queue between the socket and the cache (bounded
/// by bytes and count, with its overflow policy, every loss counted). Behind it, this silo holds at most
/// <see cref="HydrateCacheOptions.MaxInFlightBytes"/> frame bytes per transport (one larger frame when nothing else is
/// held): frames waiting for the agent's next read (at most <see cref="HydrateCacheOptions.MaxBatchSize"/> per channel,
/// including while the silo is still starting) plus frames the agent took into its queue cache that the worker grain has
/// not applied yet. Beyond that the pump's handler waits, so the pump's bounds and overflow policy apply: a worker that
/// falls behind makes the pump drop (and count, and report in band) instead of the agent's cache growing by count.</para>
/// </remarks>
internal sealed class HydrateSiloSubscriptions : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _providerName;
    private readonly ITransport _transport;
    private readonly IReadOnlyList<IHydrateChannelRuntime> _channels;
    private readonly int _maxBatchSize;
    private readonly long _maxInFlightBytes;
    private readonly ILogger _logger;
    private readonly SiloAddress _silo;
    private readonly HydrateGrainStreamDelivery _grainDelivery;
    private readonly Lock _lock = new();
    private readonly Pending[] _pending;
    private readonly List<ITransportSubscription> _subscriptions = [];
    private readonly EventHandler<TransportConnectionEventArgs> _onConnectionChanged;
    private readonly Dictionary<long, long> _unapplied = [];
    private TaskCompletionSource _dataAvailable = NewSignal();
    private TaskCompletionSource _roomAvailable = NewSignal();
    private long _sequence;
    private long _heldBytes;
    private long _peakHeldBytes;
    private int _firstChannel;
    private bool _shutdown;

    public HydrateSiloSubscriptions(
        string providerName,
        ITransport transport,
        IReadOnlyList<IHydrateChannelRuntime> channels,
        int maxBatchSize,
        long maxInFlightBytes,
        SiloAddress silo,
        HydrateGrainStreamDelivery grainDelivery,
        ILogger logger)
    {
        _grainDelivery = grainDelivery;
        _providerName = providerName;
        _transport = transport;
        _channels = channels;
        _maxBatchSize = maxBatchSize;
        _maxInFlightBytes = maxInFlightBytes;
        _logger = logger;
        _silo = silo;
        _pending = [.. channels.Select(_ => new Pending())];
        _onConnectionChanged = (_, e) =>
        {
            foreach (var channel in _channels)
            {
                // Whatever was published while disconnected is missing until the peers (or loss recovery) repair it.
                // The loss first: a health check between the two never sees a reconnected channel that is not possibly stale.
                if (e.IsConnected)
                {
                    channel.Health?.ReportLoss(HydrateLossReason.Reconnected);
                }

                channel.Health?.ReportConnectionChanged(e.IsConnected);
            }
        };
    }

    /// <summary>Creates the subscriptions of every channel configured on transport <paramref name="providerName"/>.</summary>
    public static HydrateSiloSubscriptions Create(IServiceProvider services, string providerName)
    {
        var channels = services.GetRequiredService<HydrateRegistrations>().Channels.Values
            .Where(c => string.Equals(c.Transport, providerName, StringComparison.Ordinal))
            .Select(c => services.GetRequiredKeyedService<IHydrateChannelRuntime>(c.Channel))
            .ToList();
        var options = services.GetRequiredService<IOptions<HydrateCacheOptions>>().Value;
        return new HydrateSiloSubscriptions(
            providerName,
            services.GetRequiredKeyedService<TransportHandle>(providerName).Transport,
            channels,
            options.MaxBatchSize,
            options.MaxInFlightBytes,
            services.GetRequiredService<ILocalSiloDetails>().SiloAddress,
            services.GetRequiredService<HydrateGrainStreamDelivery>(),
            services.GetRequiredService<ILogger<HydrateSiloSubscriptions>>());
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"HydrateCache.{_providerName}", ServiceLifecycleStage.RuntimeInitialize, SubscribeAsync, UnsubscribeAsync);

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        _transport.ConnectionChanged += _onConnectionChanged;
        for (var i = 0; i < _channels.Count; i++)
        {
            var index = i;
            var channel = _channels[i];
            try
            {
                var subscription = await _transport.SubscribeAsync(channel.Topic, (message, token) => OnMessageAsync(index, message, token), cancellationToken);
                lock (_lock)
                {
                    _subscriptions.Add(subscription);
                }

                channel.StartRecovery();
                channel.Health?.ReportSubscribed();
                _logger.HydrationStarted(channel.Channel, _providerName, _silo);
            }
            catch (Exception ex)
            {
                channel.Health?.ReportSubscribeFailed(ex);
                _logger.HydrationStartFailed(ex, channel.Channel, _providerName, _silo);
                throw;
            }
        }
    }

    /// <summary>Gets the frame bytes this silo holds for the transport now (waiting for a read, or read and not yet applied).</summary>
    public long HeldBytes
    {
        get
        {
            lock (_lock)
            {
                return _heldBytes;
            }
        }
    }

    /// <summary>Gets the most frame bytes this silo held for the transport at once since it started.</summary>
    public long PeakHeldBytes
    {
        get
        {
            lock (_lock)
            {
                return _peakHeldBytes;
            }
        }
    }

    /// <summary>
    /// Takes a copy of a frame (its body is only valid during this call); waits while the channel's batch is full or the
    /// transport's frames held on this silo would pass <see cref="HydrateCacheOptions.MaxInFlightBytes"/>.
    /// </summary>
    private async ValueTask OnMessageAsync(int channel, TransportMessage message, CancellationToken cancellationToken)
    {
        // Loss recovery tracks sequence numbers where frames arrive, not where the worker applies them: a backlog behind
        // the pulling agent is not a loss, and must not be requested again from every sender.
        _channels[channel].OnArrived(message);
        var body = message.IsLossNotice ? null : message.Body.ToArray();
        while (true)
        {
            Task room;
            lock (_lock)
            {
                if (_shutdown)
                {
                    return;
                }

                var pending = _pending[channel];
                var size = body?.Length ?? 0;
                if (pending.Bodies.Count < _maxBatchSize && (_heldBytes == 0 || _heldBytes + size <= _maxInFlightBytes))
                {
                    pending.Bodies.Add(body);
                    pending.LostBefore.Add(message.LostBefore);
                    pending.Bytes += size;
                    _heldBytes += size;
                    _peakHeldBytes = Math.Max(_peakHeldBytes, _heldBytes);
                    _dataAvailable.TrySetResult();
                    return;
                }

                room = _roomAvailable.Task;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for received frames and returns them, one container per channel; empty once <paramref name="cancellationToken"/> is cancelled or the silo stops.</summary>
    public async Task<IList<IBatchContainer>> ReadAsync(int maxCount, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            List<(int Channel, HydrateFrames Frames, bool ToGrains, long Bytes)>? taken;
            lock (_lock)
            {
                if (_shutdown || cancellationToken.IsCancellationRequested)
                {
                    return [];
                }

                taken = TakePending(maxCount);
                if (_dataAvailable.Task.IsCompleted)
                {
                    _dataAvailable = NewSignal();
                }

                wait = _dataAvailable.Task;
            }

            // Containers are built (and frames decoded for subscribed grains) outside the lock the transports' handlers take.
            if (taken is not null)
            {
                return ToContainers(taken);
            }

            try
            {
                await wait.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return [];
            }
        }
    }

    /// <summary>
    /// Takes every channel's pending frames, as many as <paramref name="maxCount"/> containers hold (one per channel for
    /// the worker, plus one per frame where this silo delivers to subscribed grains). Called under the lock.
    /// </summary>
    private List<(int Channel, HydrateFrames Frames, bool ToGrains, long Bytes)>? TakePending(int maxCount)
    {
        List<(int, HydrateFrames, bool, long)>? taken = null;
        var room = maxCount < 0 ? int.MaxValue : maxCount;

        // Round robin: a channel with a backlog cannot starve the others when the agent's cache limits a read.
        _firstChannel = (_firstChannel + 1) % _pending.Length;
        for (var n = 0; n < _pending.Length && room > 0; n++)
        {
            var i = (_firstChannel + n) % _pending.Length;
            var pending = _pending[i];
            if (pending.Bodies.Count == 0)
            {
                continue;
            }

            // Grain delivery needs a container per frame besides the worker's: the agent's cache admits several per read.
            var toGrains = _grainDelivery.DeliversHere(_channels[i].Channel);
            var count = toGrains ? Math.Min(pending.Bodies.Count, room - 1) : pending.Bodies.Count;
            if (count <= 0)
            {
                break;
            }

            var frames = new HydrateFrames(_channels[i].Channel, [.. pending.Bodies[..count]], [.. pending.LostBefore[..count]]);
            var bytes = count == pending.Bodies.Count ? pending.Bytes : frames.Bodies.Sum(b => (long)(b?.Length ?? 0));
            pending.Bodies.RemoveRange(0, count);
            pending.LostBefore.RemoveRange(0, count);
            pending.Bytes -= bytes;
            room -= toGrains ? count + 1 : 1;
            (taken ??= []).Add((i, frames, toGrains, bytes));
        }

        if (taken is not null)
        {
            var signal = _roomAvailable;
            _roomAvailable = NewSignal();
            signal.TrySetResult();
        }

        return taken;
    }

    /// <summary>Builds the containers of taken frames: the channel's worker stream first, then one per frame on the (channel, key) streams.</summary>
    private List<IBatchContainer> ToContainers(List<(int Channel, HydrateFrames Frames, bool ToGrains, long Bytes)> taken)
    {
        var containers = new List<IBatchContainer>(taken.Count);
        foreach (var (index, frames, toGrains, bytes) in taken)
        {
            var channel = _channels[index];
            var token = NextToken();
            lock (_lock)
            {
                // Held until the worker grain has applied the container (or its delivery failed, or the agent purged it).
                _unapplied[token.SequenceNumber] = bytes;
            }

            containers.Add(new HydrateFramesContainer(StreamId.Create(HydrateStreamNamespaces.Worker, channel.Channel), frames, token));
            if (!toGrains)
            {
                continue;
            }

            foreach (var body in frames.Bodies)
            {
                // Bad frames are counted once, by the worker's receive pipeline; grains only see valid updates.
                if (body is not null && channel.TryDecodeForStreams(body, out var key, out var update, out var value))
                {
                    containers.Add(new HydrateUpdateContainer(StreamId.Create(channel.Channel, key), update, value, NextToken()));
                }
            }
        }

        return containers;
    }

    /// <summary>
    /// Releases the bytes of a worker container: called when the worker grain has applied it, when its delivery failed
    /// for good, and when the agent purges it from its cache, whichever comes first (later calls do nothing).
    /// </summary>
    /// <param name="token">The container's sequence token.</param>
    public void Release(StreamSequenceToken? token)
    {
        if (token is null)
        {
            return;
        }

        lock (_lock)
        {
            if (!_unapplied.Remove(token.SequenceNumber, out var bytes))
            {
                return;
            }

            _heldBytes -= bytes;
            var signal = _roomAvailable;
            _roomAvailable = NewSignal();
            signal.TrySetResult();
        }
    }

    private EventSequenceTokenV2 NextToken() => new(Interlocked.Increment(ref _sequence));

    private async Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
        _transport.ConnectionChanged -= _onConnectionChanged;
        ITransportSubscription[] subscriptions;
        lock (_lock)
        {
            _shutdown = true;
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
            _dataAvailable.TrySetResult();
            _roomAvailable.TrySetResult();
        }

        foreach (var subscription in subscriptions)
        {
            await subscription.DisposeAsync();
        }

        foreach (var channel in _channels)
        {
            await channel.StopRecoveryAsync();
            channel.Health?.ReportUnsubscribed();
            _logger.HydrationStopped(channel.Channel, _providerName, _silo);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Pending
    {
        public List<byte[]?> Bodies { get; } = [];

        public List<long> LostBefore { get; } = [];

        /// <summary>Gets or sets the bytes of <see cref="Bodies"/>.</summary>
        public long Bytes { get; set; }
    }
}
