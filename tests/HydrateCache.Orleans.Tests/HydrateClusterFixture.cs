using HydrateCache.Kafka;
using HydrateCache.Nats;
using HydrateCache.Orleans.Grains;
using HydrateCache.Orleans.Runtime;
using HydrateCache.Postgres;
using HydrateCache.Redis;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using Npgsql;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Three silos and a client in one process, hydrating over one transport. Each derived fixture picks the transport;
/// the same multi-silo tests run over every one of them.
/// </summary>
public abstract class HydrateClusterFixture : IAsyncLifetime
{
    public const string Transport = "bus";
    public const string PricesChannel = "prices";
    public const string StockChannel = "stock";

    /// <summary>Gets a topic prefix unique to this cluster, so runs and fixtures never see each other's messages.</summary>
    public string TopicPrefix { get; } = $"hc-{Guid.NewGuid():N}.";

    /// <summary>Gets the client name this cluster's server connections carry, so a fault can target them and no other test's.</summary>
    public string ClientName => TopicPrefix.TrimEnd('.');

    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>Gets the prices channel's system of record, shared by every silo of this cluster (one database).</summary>
    public DictionarySource<PriceRecord> PriceSource { get; } = new();

    /// <summary>Gets why the cluster could not start (no server), or <see langword="null"/> when it runs.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Gets the private server this cluster runs on (see <see cref="UsesPrivateServer"/>), or <see langword="null"/>.</summary>
    public ServerProcess? PrivateServer { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (UsesPrivateServer)
        {
            Unavailable = ServerProcess.WhyUnavailable(Endpoint!);
            PrivateServer = Unavailable is null ? await ServerProcess.StartAsync(Endpoint!) : null;
        }
        else
        {
            Unavailable = Endpoint is { } server && TestServers.GetEndpoint(server) is null
                ? $"No {server} server: set HYDRATECACHE_{server} or run `eng/services.sh up`."
                : null;
        }

        if (Unavailable is not null)
        {
            return;
        }

        await PrepareAsync();
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) => silo.AddHydrateCacheStreams(Configure));
        builder.ConfigureClient(client => client.AddHydrateCacheStreams(Configure));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Gets the <see cref="TestServers"/> name of the server this fixture needs, or <see langword="null"/>.</summary>
    protected virtual string? Endpoint => null;

    /// <summary>
    /// Gets a value indicating whether this cluster runs on a server of its own (a <see cref="ServerProcess"/>) instead of the
    /// suite's, so its tests can crash and restart it without disturbing any other test.
    /// </summary>
    protected virtual bool UsesPrivateServer => false;

    /// <summary>Gets the address of the server of <see cref="Endpoint"/>: the private one, or the suite's.</summary>
    protected string ServerAddress => PrivateServer?.Address ?? TestServers.RequireEndpoint(Endpoint!);

    /// <summary>Prepares shared resources (connections to the server) before the silos start.</summary>
    protected virtual ValueTask PrepareAsync() => ValueTask.CompletedTask;

    /// <summary>Skips the calling test when the server is missing on a developer machine; fails it on CI.</summary>
    public void EnsureAvailable()
    {
        if (Unavailable is not null)
        {
            TestServers.Unavailable(Unavailable);
        }
    }

    /// <summary>Adds the transport named <see cref="Transport"/>: one client per silo and one for the cluster client.</summary>
    protected abstract void AddTransport(HydrateCacheBuilder hydrate);

    /// <summary>Opens a client of the same transport for the test itself (to inject raw messages).</summary>
    public abstract ValueTask<ITransport> ConnectAsync();

    private void Configure(HydrateCacheBuilder hydrate)
    {
        AddTransport(hydrate);
        hydrate
            .AddChannel<PriceRecord>(PricesChannel, Transport, (_, options) => options.Source = PriceSource)
            .AddChannel<int>(StockChannel, Transport)
            .Configure(options => options.TopicPrefix = TopicPrefix);
        AddChannels(hydrate);
    }

    /// <summary>Adds the channels of a derived fixture, next to the prices and stock channels every cluster has.</summary>
    protected virtual void AddChannels(HydrateCacheBuilder hydrate)
    {
    }

    public IEnumerable<SiloAddress> ActiveSilos => Cluster.GetActiveSilos().Select(s => s.SiloAddress);

    public ILocalHydratedCache<T> CacheOn<T>(SiloAddress silo) =>
        Cluster.GetSiloServiceProvider(silo).GetRequiredService<ILocalHydratedCache<T>>();

    public IEnumerable<(SiloAddress Silo, ILocalHydratedCache<T> Cache)> Caches<T>() =>
        ActiveSilos.Select(s => (s, CacheOn<T>(s))).ToList();

    /// <summary>Sums one statistic of the prices channel over the active silos (for example <see cref="HydrateChannelStatistics.Repaired"/>).</summary>
    public long PricesStatistic(Func<HydrateChannelStatistics, long> statistic) => ActiveSilos.Sum(silo => PricesStatisticOn(silo, statistic));

    /// <summary>Reads one statistic of the prices channel on <paramref name="silo"/>.</summary>
    public long PricesStatisticOn(SiloAddress silo, Func<HydrateChannelStatistics, long> statistic) =>
        statistic(Cluster.GetSiloServiceProvider(silo).GetRequiredKeyedService<HydrateChannelRuntime<PriceRecord>>(PricesChannel).TypedChannel.Statistics);

    /// <summary>Counts the worker grain activations (of every channel) on each silo, through the management grain.</summary>
    public async Task<IReadOnlyDictionary<SiloAddress, int>> WorkerActivationsPerSiloAsync()
    {
        var statistics = await Cluster.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        return statistics
            .Where(s => s.GrainType.StartsWith(typeof(HydrateWorkerGrain).FullName + ",", StringComparison.Ordinal))
            .GroupBy(s => s.SiloAddress)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
    }

    /// <summary>Counts the activations of one channel's worker grain in the whole cluster, through the management grain.</summary>
    public Task<int> WorkerActivationsAsync(string channel) =>
        Cluster.Client.GetGrain<IManagementGrain>(0).GetGrainActivationCount((GrainReference)Cluster.Client.GetGrain<IHydrateWorkerGrain>(channel));

    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>Keeps a client (transport, connection, data source) to dispose after the cluster, newest first.</summary>
    protected T Track<T>(T resource)
        where T : IAsyncDisposable
    {
        lock (_owned)
        {
            _owned.Add(resource);
        }

        return resource;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        // A silo already disposed the transports it owns; disposing one twice is harmless.
        foreach (var resource in Enumerable.Reverse(_owned))
        {
            await resource.DisposeAsync();
        }

        if (PrivateServer is not null)
        {
            await PrivateServer.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>All silos share one in-memory bus (captured by the configuration delegate, not static).</summary>
public class InMemoryClusterFixture : HydrateClusterFixture
{
    private readonly InMemoryTransport _bus;

    public InMemoryClusterFixture()
        : this(new InMemoryTransportOptions())
    {
    }

    /// <summary>Creates the bus with <paramref name="options"/> (a derived fixture's subscription buffer, for example).</summary>
    protected InMemoryClusterFixture(InMemoryTransportOptions options) => _bus = new InMemoryTransport(options);

    protected override void AddTransport(HydrateCacheBuilder hydrate) => hydrate.AddTransport(Transport, _bus);

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(_bus);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _bus.DisposeAsync();
    }
}

/// <summary>Every silo has its own <see cref="PostgresTransport"/> (its own LISTEN connection) on one PostgreSQL server.</summary>
public class PostgresClusterFixture : HydrateClusterFixture
{
    private NpgsqlDataSource? _dataSource;

    protected override string? Endpoint => TestServers.Postgres;

    protected override ValueTask PrepareAsync()
    {
        var connection = new NpgsqlConnectionStringBuilder(TestServers.RequireEndpoint(TestServers.Postgres)) { ApplicationName = ClientName };
        _dataSource = Track(NpgsqlDataSource.Create(connection.ConnectionString));
        return ValueTask.CompletedTask;
    }

    protected override void AddTransport(HydrateCacheBuilder hydrate) =>
        hydrate.AddTransport(Transport, _ => new PostgresTransport(_dataSource!));

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(Track(new PostgresTransport(_dataSource!)));
}

/// <summary>Every silo has its own NATS connection and <see cref="NatsTransport"/> on one NATS server.</summary>
public class NatsClusterFixture : HydrateClusterFixture
{
    protected override string? Endpoint => TestServers.Nats;

    protected override void AddTransport(HydrateCacheBuilder hydrate) =>
        hydrate.AddTransport(Transport, _ => new NatsTransport(Connect()));

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(Track(new NatsTransport(Connect())));

    // Reconnect fast (the defaults wait 2 s and more between attempts), so a test that restarts the server stays short.
    private NatsConnection Connect() => Track(new NatsConnection(new NatsOpts
    {
        Url = ServerAddress,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
        ReconnectWaitMax = TimeSpan.FromSeconds(1),
        ReconnectJitter = TimeSpan.FromMilliseconds(50),
    }));
}

/// <summary>Every silo has its own <see cref="KafkaTransport"/> (producer and consumers) on one Kafka broker.</summary>
public class KafkaClusterFixture : HydrateClusterFixture
{
    protected override string? Endpoint => TestServers.Kafka;

    protected override void AddTransport(HydrateCacheBuilder hydrate) =>
        hydrate.AddTransport(Transport, _ => Create());

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(Track(Create()));

    // librdkafka's mock broker answers a fetch only when fetch.wait.max.ms runs out: keep it short in tests.
    private KafkaTransport Create() => new(new KafkaTransportOptions
    {
        BootstrapServers = ServerAddress,
        ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10),
    });
}

/// <summary>Every silo has its own multiplexer and <see cref="RedisTransport"/> on one Redis server.</summary>
public class RedisClusterFixture : HydrateClusterFixture
{
    protected override string? Endpoint => TestServers.Redis;

    protected override void AddTransport(HydrateCacheBuilder hydrate) =>
        hydrate.AddTransport(Transport, _ => new RedisTransport(Connect()));

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(Track(new RedisTransport(Connect())));

    private ConnectionMultiplexer Connect() => Track(ConnectionMultiplexer.Connect($"{ServerAddress},name={ClientName}"));
}

/// <summary>
/// In-memory, with a subscription buffer of four messages per silo that drops the oldest when full: a burst of writes
/// overflows it, and the loss is reported to the channel (<see cref="HydrateDropReason.TransportLoss"/>).
/// </summary>
public sealed class InMemoryOverflowClusterFixture() : InMemoryClusterFixture(new InMemoryTransportOptions
{
    SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 4, OverflowPolicy = TransportOverflowPolicy.DropOldest },
});

/// <summary>A cluster on a Redis server of its own (<see cref="HydrateClusterFixture.PrivateServer"/>), which its tests crash.</summary>
public sealed class RedisCrashClusterFixture : RedisClusterFixture
{
    protected override bool UsesPrivateServer => true;
}

/// <summary>A cluster on a NATS server of its own (<see cref="HydrateClusterFixture.PrivateServer"/>), which its tests crash.</summary>
public sealed class NatsCrashClusterFixture : NatsClusterFixture
{
    protected override bool UsesPrivateServer => true;
}

/// <summary>A cluster on a Kafka mock host of its own (<see cref="HydrateClusterFixture.PrivateServer"/>), which its tests crash.</summary>
/// <remarks>
/// A crashed host comes back empty, and the Kafka transport reports its reconnect before its consumers have found their
/// position in the new log (the old offsets are out of range there): updates published in between are lost without a
/// loss report, after the repair the reconnect started. The senders' sequence numbers reveal them, and they are
/// retransmitted (loss recovery), on the default settings.
/// </remarks>
public sealed class KafkaCrashClusterFixture : KafkaClusterFixture
{
    protected override bool UsesPrivateServer => true;
}

/// <summary>
/// The churn fixtures (one per transport) are clusters of their own, because their tests stop a silo and start another.
/// A silo that joins or leaves while grains write makes silos miss updates that no loss report announces (see
/// <see cref="SiloChurnTests{TFixture}"/>); the senders' sequence numbers reveal them and loss recovery brings them back,
/// on the default settings.
/// </summary>
public sealed class InMemoryChurnClusterFixture : InMemoryClusterFixture
{
}

/// <inheritdoc cref="InMemoryChurnClusterFixture"/>
public sealed class RedisChurnClusterFixture : RedisClusterFixture
{
}

/// <inheritdoc cref="InMemoryChurnClusterFixture"/>
public sealed class NatsChurnClusterFixture : NatsClusterFixture
{
}

/// <inheritdoc cref="InMemoryChurnClusterFixture"/>
public sealed class PostgresChurnClusterFixture : PostgresClusterFixture
{
}

/// <inheritdoc cref="InMemoryChurnClusterFixture"/>
public sealed class KafkaChurnClusterFixture : KafkaClusterFixture
{
}
