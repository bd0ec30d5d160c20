using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

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

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await PrepareAsync();
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) => silo.AddHydrateCacheStreams(Configure));
        builder.ConfigureClient(client => client.AddHydrateCacheStreams(Configure));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Checks the server is there (skips locally, fails on CI) and prepares shared resources.</summary>
    protected virtual ValueTask PrepareAsync() => ValueTask.CompletedTask;

    /// <summary>Adds the transport named <see cref="Transport"/>: one client per silo and one for the cluster client.</summary>
    protected abstract void AddTransport(HydrateCacheBuilder hydrate);

    /// <summary>Opens a client of the same transport for the test itself (to inject raw messages).</summary>
    public abstract ValueTask<ITransport> ConnectAsync();

    private void Configure(HydrateCacheBuilder hydrate)
    {
        AddTransport(hydrate);
        hydrate
            .AddChannel<PriceRecord>(PricesChannel, Transport)
            .AddChannel<int>(StockChannel, Transport)
            .Configure(options => options.TopicPrefix = TopicPrefix);
    }

    public IEnumerable<SiloAddress> ActiveSilos => Cluster.GetActiveSilos().Select(s => s.SiloAddress);

    public ILocalHydratedCache<T> CacheOn<T>(SiloAddress silo) =>
        Cluster.GetSiloServiceProvider(silo).GetRequiredService<ILocalHydratedCache<T>>();

    public IEnumerable<(SiloAddress Silo, ILocalHydratedCache<T> Cache)> Caches<T>() =>
        ActiveSilos.Select(s => (s, CacheOn<T>(s))).ToList();

    public virtual async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>All silos share one in-memory bus (captured by the configuration delegate, not static).</summary>
public sealed class InMemoryClusterFixture : HydrateClusterFixture
{
    private readonly InMemoryTransport _bus = new();

    protected override void AddTransport(HydrateCacheBuilder hydrate) => hydrate.AddTransport(Transport, _bus);

    public override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(_bus);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await _bus.DisposeAsync();
    }
}
