using System.Diagnostics;
using HydrateCache.Propagation.Harness;
using HydrateCache.Samples;

namespace HydrateCache.Propagation;

/// <summary>What a <see cref="Fleet"/> is made of.</summary>
internal sealed record FleetOptions
{
    /// <summary>Gets the number of subscribers.</summary>
    public int Subscribers { get; init; } = 3;

    /// <summary>Gets a value indicating whether every channel takes part in loss recovery (the library's default).</summary>
    public bool Recovery { get; init; } = true;

    /// <summary>Gets a value indicating whether the publisher keeps its own writes in <see cref="Fleet.PublisherCache"/>.</summary>
    public bool PublisherCache { get; init; }

    /// <summary>Gets how the publisher sees its transport client (default: as it is).</summary>
    public Func<ITransport, ITransport>? WrapPublisher { get; init; }

    /// <summary>Gets how a subscriber sees its transport client (default: as it is).</summary>
    public Func<ITransport, ITransport>? WrapSubscriber { get; init; }

    /// <summary>Gets what runs, on the subscriber's receive path, after an update changed its cache: (subscriber index, update).</summary>
    public Action<int, TypedMessage<Tick>>? OnApplied { get; init; }
}

/// <summary>
/// One publisher and N subscribers of one channel on one transport, each with its own client (as separate processes would
/// be), each subscriber hydrating its own cache. Disposing it stops the subscriptions and recovery, and closes the clients.
/// </summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly TransportChoice _choice;
    private readonly List<ITransport> _owned = [];
    private readonly List<HydrateChannel<Tick>> _subscribers = [];
    private readonly List<LocalHydratedCache<Tick>> _caches = [];
    private readonly List<Task> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private HydrateChannel<Tick>? _publisher;

    private Fleet(TransportChoice choice) => _choice = choice;

    public HydrateChannel<Tick> Publisher => _publisher ?? throw new InvalidOperationException("The fleet has no publisher.");

    /// <summary>Gets the publisher's own writes (only with <see cref="FleetOptions.PublisherCache"/>): the state every subscriber should reach.</summary>
    public LocalHydratedCache<Tick>? PublisherCache { get; private set; }

    public IReadOnlyList<HydrateChannel<Tick>> Subscribers => _subscribers;

    public IReadOnlyList<LocalHydratedCache<Tick>> Caches => _caches;

    /// <summary>Creates the subscribers (subscribing in the background) and the publisher.</summary>
    public static async Task<Fleet> StartAsync(string transport, FleetOptions options)
    {
        var fleet = new Fleet(TransportChoice.Create(transport));
        try
        {
            fleet.Build(options);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes a warm-up update until every subscriber has it (JIT, connections, Kafka's producer id, subscriptions becoming live).</summary>
    public async Task WarmUpAsync()
    {
        for (var attempt = 0; !_caches.All(c => c.TryGet("warmup", out _)); attempt++)
        {
            if (attempt > 600)
            {
                throw new TimeoutException("the subscribers did not receive the warm-up update within 60 s");
            }

            await Publisher.PublishAsync("warmup", new Tick(-1, Stopwatch.GetTimestamp()));
            await Task.Delay(100);
        }
    }

    /// <summary>Publishes <paramref name="messages"/> updates round-robin over <paramref name="keys"/> keys, one every <paramref name="pace"/>.</summary>
    /// <returns>The time the publishing took.</returns>
    public async Task<TimeSpan> PublishPacedAsync(int messages, int keys, TimeSpan pace)
    {
        var started = Stopwatch.GetTimestamp();
        var pacer = Pacer.FromInterval(pace);
        for (var i = 0; i < messages; i++)
        {
            pacer.WaitNext();
            await Publisher.PublishAsync($"key-{i % keys}", new Tick(i, Stopwatch.GetTimestamp()));
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Ends the subscriptions; the caches keep what they hold.</summary>
    public async Task StopSubscriptionsAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_subscriptions);
    }

    public async ValueTask DisposeAsync()
    {
        await StopSubscriptionsAsync();
        foreach (var channel in _subscribers.Append(_publisher).OfType<HydrateChannel<Tick>>())
        {
            await channel.DisposeAsync();
        }

        foreach (var cache in _caches.Append(PublisherCache).OfType<LocalHydratedCache<Tick>>())
        {
            cache.Dispose();
        }

        if (!_choice.IsShared)
        {
            foreach (var transport in _owned)
            {
                await transport.DisposeAsync();
            }
        }

        await _choice.DisposeAsync();
        _stop.Dispose();
    }

    private void Build(FleetOptions options)
    {
        var topicPrefix = $"bench-{Guid.NewGuid():N}.";
        for (var i = 0; i < options.Subscribers; i++)
        {
            var index = i;
            var cache = new LocalHydratedCache<Tick>();
            _caches.Add(cache);
            var channel = new HydrateChannel<Tick>(Client(options.WrapSubscriber), "ticks", ChannelOptions(topicPrefix, options.Recovery, localCache: null));
            _subscribers.Add(channel);
            _subscriptions.Add(channel.SubscribeAsync(
                (message, _) =>
                {
                    if (cache.Apply(message) == HydrateApplyResult.Applied)
                    {
                        options.OnApplied?.Invoke(index, message);
                    }

                    return ValueTask.CompletedTask;
                },
                _stop.Token));
        }

        PublisherCache = options.PublisherCache ? new LocalHydratedCache<Tick>() : null;
        _publisher = new HydrateChannel<Tick>(Client(options.WrapPublisher), "ticks", ChannelOptions(topicPrefix, options.Recovery, PublisherCache));
    }

    private ITransport Client(Func<ITransport, ITransport>? wrap)
    {
        var transport = _choice.CreateClient();
        _owned.Add(transport);
        return wrap is null ? transport : wrap(transport);
    }

    private static HydrateChannelOptions<Tick> ChannelOptions(string topicPrefix, bool recovery, LocalHydratedCache<Tick>? localCache)
    {
        var options = new HydrateChannelOptions<Tick> { TopicPrefix = topicPrefix, LocalCache = localCache };
        options.Recovery.Enabled = recovery;
        return options;
    }
}
