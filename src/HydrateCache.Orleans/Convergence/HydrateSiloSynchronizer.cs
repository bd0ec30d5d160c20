using System.Collections.Concurrent;
using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace HydrateCache.Orleans.Convergence;

/// <summary>
/// Keeps one silo's caches converged with the other silos' (peer repair): a silo that starts loads every channel from a
/// peer (warm start), a channel whose transport reconnected or reported lost messages is repaired from every peer, and
/// a periodic anti-entropy round compares each channel with a random peer. All of them compare per-bucket digests and
/// copy only the buckets that differ, applying by version, so nothing newer is ever rolled back and updates that
/// arrive meanwhile through the transport are kept. A channel with an <see cref="IHydrationSource{T}"/> is loaded from
/// it when no peer can warm it (the first silo of a cluster, or none answering in time) and after a loss that
/// retransmission could not repair (every silo may have missed it).
/// </summary>
internal sealed class HydrateSiloSynchronizer : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Buckets of a digest: 256 × 8 bytes per comparison, and a differing bucket holds 1/256 of the keys.</summary>
    internal const int DigestBuckets = 256;

    /// <summary>How long a warm start waits before asking the peers (or the source) again when none answered, at first.</summary>
    private static readonly TimeSpan WarmStartRetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest a warm start waits between two rounds of asking.</summary>
    private static readonly TimeSpan MaxWarmStartRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>A burst of triggers (a reconnect, then the losses it reports) becomes one repair after this pause.</summary>
    private static readonly TimeSpan RepairCoalescing = TimeSpan.FromMilliseconds(250);

    private readonly IReadOnlyList<IHydrateChannelRuntime> _channels;
    private readonly IServiceProvider _services;
    private readonly HydrateRegistrations _registrations;
    private readonly HydrateCacheOptions _options;
    private readonly IClusterMembershipService _membership;
    private readonly IGrainFactory _grains;
    private readonly SiloAddress _silo;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, string> _pendingRepairs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _pendingSourceLoads = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _repairRequested = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Action> _detach = [];
    private Task _loop = Task.CompletedTask;

    public HydrateSiloSynchronizer(
        IServiceProvider services,
        HydrateRegistrations registrations,
        IOptions<HydrateCacheOptions> options,
        IClusterMembershipService membership,
        IGrainFactory grains,
        ILocalSiloDetails silo,
        ILogger<HydrateSiloSynchronizer> logger)
    {
        _services = services;
        _registrations = registrations;
        _options = options.Value;
        _membership = membership;
        _grains = grains;
        _silo = silo.SiloAddress;
        _logger = logger;
        _timeProvider = HydrateCacheServiceKeys.GetTimeProvider(services);
        _channels = [.. registrations.Channels.Keys.Order(StringComparer.Ordinal).Select(c => services.GetRequiredKeyedService<IHydrateChannelRuntime>(c))];
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe("HydrateCache.Convergence", ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Requests a repair of <paramref name="channel"/> from every peer; requests made close together run once.</summary>
    public void RequestRepair(string channel, string reason)
    {
        if (_pendingRepairs.TryAdd(channel, reason))
        {
            _repairRequested.Release();
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        AttachTriggers();
        var warming = Task.WhenAll(_channels.Select(WarmAsync));
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        if (_options.WarmStartTimeout <= TimeSpan.Zero)
        {
            return;
        }

        // Holding the Active stage: the silo serves requests only once its caches hold what its peers hold.
        try
        {
            await warming.WaitAsync(_options.WarmStartTimeout, _timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            _logger.WarmStartTimedOut(_silo, _options.WarmStartTimeout, string.Join(", ", _channels.Where(c => !c.IsWarm).Select(c => c.Channel)));
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var detach in _detach)
        {
            detach();
        }

        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    /// <summary>A transport that reconnects may have missed anything; a channel that reports lost messages did.</summary>
    private void AttachTriggers()
    {
        foreach (var channel in _channels)
        {
            Action<string, HydrateLossReason> onLoss = (c, reason) =>
            {
                if (reason == HydrateLossReason.Unrecoverable && channel.HasSource)
                {
                    _pendingSourceLoads[c] = true;
                }

                RequestRepair(c, reason switch
                {
                    HydrateLossReason.Unrecoverable => "messages could not be retransmitted",
                    HydrateLossReason.Reconnected => "the transport reconnected",
                    _ => "the transport lost messages",
                });
            };
            channel.LossDetected += onLoss;
            _detach.Add(() => channel.LossDetected -= onLoss);
        }

        foreach (var transportName in _registrations.Transports)
        {
            var transport = _services.GetRequiredKeyedService<TransportHandle>(transportName).Transport;
            var channels = _channels.Where(c => string.Equals(c.Transport, transportName, StringComparison.Ordinal)).ToList();
            EventHandler<TransportConnectionEventArgs> onChange = (_, e) =>
            {
                if (e.IsConnected)
                {
                    foreach (var channel in channels)
                    {
                        RequestRepair(channel.Channel, "the transport reconnected");
                    }
                }
            };
            transport.ConnectionChanged += onChange;
            _detach.Add(() => transport.ConnectionChanged -= onChange);
        }
    }

    /// <summary>
    /// Loads a channel from every peer that answers; the first silo of a cluster is warm at once (or loads its source). A silo that has just
    /// joined may not reach its peers yet (it learns their grain manifests shortly after joining): it retries, briefly
    /// apart, until a peer answers or the warm-start time runs out; then anti-entropy rounds keep trying.
    /// </summary>
    private async Task WarmAsync(IHydrateChannelRuntime channel)
    {
        var started = _timeProvider.GetTimestamp();
        var limit = _options.WarmStartTimeout > TimeSpan.Zero ? _options.WarmStartTimeout : TimeSpan.FromSeconds(30);
        var retry = new TransportBackoff(new TransportBackoffOptions { InitialDelay = WarmStartRetryDelay, MaxDelay = MaxWarmStartRetryDelay }, _timeProvider);
        while (!_stopping.IsCancellationRequested)
        {
            var peers = Peers();
            if (peers.Count == 0 && !channel.HasSource)
            {
                channel.MarkWarm();
                _logger.WarmStartCompleted(channel.Channel, _silo, 0, "no peer (first silo)", 0);
                return;
            }

            if (peers.Count == 0 || _timeProvider.GetElapsedTime(started) >= limit)
            {
                // The first silo of a cluster, or no peer answered in time: the system of record is the only copy left.
                if (await TryLoadFromSourceAsync(channel, "warm start") is { } loaded)
                {
                    channel.MarkWarm();
                    _logger.WarmStartCompleted(channel.Channel, _silo, loaded, "the source", (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
                    return;
                }
            }

            // Every peer, not the first that answers: a peer may lag behind its own transport subscription (a backlog
            // behind its pulling agent), and what was published before this silo subscribed comes only from these copies.
            // After the first, a copy only transfers the buckets that still differ.
            var copied = 0;
            var answered = new List<SiloAddress>();
            foreach (var peer in peers)
            {
                if (await TrySyncAsync(channel, peer, "warm start") is { } count)
                {
                    copied += count;
                    answered.Add(peer);
                }
            }

            if (answered.Count > 0)
            {
                channel.MarkWarm();
                _logger.WarmStartCompleted(channel.Channel, _silo, copied, string.Join(", ", answered), (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
                return;
            }

            if (_timeProvider.GetElapsedTime(started) >= limit && !channel.HasSource)
            {
                // Anti-entropy rounds keep trying; until one succeeds the health report says the warm start failed.
                channel.Health?.ReportWarmStartFailed($"no peer answered within {limit.TotalSeconds:0.#} s and the channel has no source");
                return;
            }

            await Task.Delay(retry.NextDelay(), _timeProvider, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    /// <summary>The background loop: requested repairs first (a pass may serve several requests), anti-entropy rounds on schedule.</summary>
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = _options.AntiEntropyInterval > TimeSpan.Zero ? _options.AntiEntropyInterval : Timeout.InfiniteTimeSpan;
        var nextRound = interval == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : _timeProvider.GetUtcNow() + interval;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var wait = nextRound - _timeProvider.GetUtcNow();
                if (await _repairRequested.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : Min(wait, TimeSpan.FromDays(1)), cancellationToken))
                {
                    await Task.Delay(RepairCoalescing, _timeProvider, cancellationToken);
                    await RepairRequestedAsync();
                    continue;
                }

                if (_timeProvider.GetUtcNow() >= nextRound)
                {
                    nextRound = _timeProvider.GetUtcNow() + interval;
                    await AntiEntropyRoundAsync();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task RepairRequestedAsync()
    {
        foreach (var channel in _channels)
        {
            if (!_pendingRepairs.TryRemove(channel.Channel, out var reason))
            {
                continue;
            }

            // The losses this pass repairs: those reported before it starts.
            var losses = channel.Health?.LossCount ?? 0;

            // Every peer: when a broker restart cut every silo, only the union of the silos' copies (each writer's silo
            // applied its own writes) holds everything.
            var answered = 0;
            foreach (var peer in Peers())
            {
                if (await TrySyncAsync(channel, peer, reason) is not null)
                {
                    answered++;
                }
            }

            // Retransmission failed, so every silo may have missed it: only the system of record can tell.
            var repaired = answered > 0;
            if (_pendingSourceLoads.TryRemove(channel.Channel, out _))
            {
                repaired = await TryLoadFromSourceAsync(channel, reason) is not null;
            }

            if (repaired)
            {
                channel.Health?.ReportRepaired(losses);
            }
        }
    }

    /// <summary>Loads a channel from its source; null when it failed (logged).</summary>
    private async Task<int?> TryLoadFromSourceAsync(IHydrateChannelRuntime channel, string reason)
    {
        try
        {
            return await channel.LoadFromSourceAsync(_stopping.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            _logger.SourceLoadFailed(ex, channel.Channel, _silo, reason);
            return null;
        }
    }

    private async Task AntiEntropyRoundAsync()
    {
        var peers = Peers();
        if (peers.Count == 0)
        {
            return;
        }

        foreach (var channel in _channels)
        {
            var peer = peers[Random.Shared.Next(peers.Count)];
            if (await TrySyncAsync(channel, peer, "anti-entropy") is not null && !channel.IsWarm)
            {
                channel.MarkWarm();
            }
        }
    }

    /// <summary>Compares digests with <paramref name="peer"/> and copies the differing buckets; null when the peer failed.</summary>
    private async Task<int?> TrySyncAsync(IHydrateChannelRuntime channel, SiloAddress peer, string reason)
    {
        try
        {
            var grain = _grains.GetGrain<IHydratePeerGrain>(new HydratePeerKey(channel.Channel, peer).ToString());
            var remote = await grain.GetDigestAsync(DigestBuckets);
            var local = channel.GetDigest(DigestBuckets);
            var differing = Enumerable.Range(0, DigestBuckets).Where(b => remote[b] != local[b]).ToArray();
            var changed = 0;
            if (differing.Length > 0)
            {
                string? after = null;
                var buckets = differing.Length == DigestBuckets ? null : differing;
                do
                {
                    var page = await grain.GetPageAsync(buckets, DigestBuckets, after, _options.RepairPageSize);
                    changed += channel.ApplyRepair(page.Frames);
                    after = page.NextKey;
                }
                while (after is not null);
            }

            if (changed > 0)
            {
                _logger.Repaired(channel.Channel, _silo, changed, peer, reason);
            }

            return changed;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            _logger.RepairFailed(ex, channel.Channel, _silo, peer, reason);
            return null;
        }
    }

    /// <summary>The other active silos, in random order.</summary>
    private List<SiloAddress> Peers()
    {
        var peers = _membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(_silo))
            .Select(m => m.SiloAddress)
            .ToList();
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(peers));
        return peers;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
