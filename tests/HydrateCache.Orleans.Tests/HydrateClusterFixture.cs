using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace HydrateCache.Orleans.Tests;

/// <summary>Three silos and a client in one process, sharing one in-memory bus (captured, not static).</summary>
public sealed class HydrateClusterFixture : IAsyncLifetime
{
    public const string Transport = "bus";
    public const string PricesChannel = "prices";
    public const string StockChannel = "stock";

    public InMemoryTransport Bus { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) => silo.AddHydrateCacheStreams(Configure));
        builder.ConfigureClient(client => client.AddHydrateCacheStreams(Configure));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    private void Configure(HydrateCacheBuilder hydrate) => hydrate
        .AddTransport(Transport, Bus)
        .AddChannel<PriceRecord>(PricesChannel, Transport)
        .AddChannel<int>(StockChannel, Transport);

    public IEnumerable<SiloAddress> ActiveSilos => Cluster.GetActiveSilos().Select(s => s.SiloAddress);

    public ILocalHydratedCache<T> CacheOn<T>(SiloAddress silo) =>
        Cluster.GetSiloServiceProvider(silo).GetRequiredService<ILocalHydratedCache<T>>();

    public IEnumerable<(SiloAddress Silo, ILocalHydratedCache<T> Cache)> Caches<T>() =>
        ActiveSilos.Select(s => (s, CacheOn<T>(s))).ToList();

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Bus.DisposeAsync();
    }
}
