using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.TestingHost;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// The silo health check (<c>AddHealthChecks().AddHydrateCache()</c>), read through the silo's own
/// <see cref="HealthCheckService"/>: a silo warming from its source, and a transport that disconnects and reconnects.
/// </summary>
[TestSuite("Functional"), TestProvider("None"), TestArea("Orleans")]
public sealed class SiloHealthCheckTests
{
    private const string Check = "hydratecache";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthCheckService_SiloWarmingFromItsSource_DegradedWarmingThenHealthy_ReportingEveryChannel()
    {
        await using var bus = new InMemoryTransport();
        var source = new DictionarySource<PriceRecord>();
        source.Write("MSFT", new PriceRecord("MSFT", 412.5m));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Gate = gate.Task;

        // The first silo of a cluster warms from the source, which is held: the silo does not wait for it (WarmStartTimeout 0).
        await using var cluster = await StartAsync(1, bus, source, recovery: true);
        var checks = HealthChecksOf(cluster, cluster.GetActiveSilos().Single().SiloAddress);

        var warming = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, warming.Status);
        Assert.StartsWith("prices: warming (cache not loaded yet)", warming.Description, StringComparison.Ordinal);
        Assert.Equal(false, warming.Data["prices.warm"]);
        Assert.Equal(true, warming.Data["prices.subscribed"]);
        Assert.Equal("Healthy", warming.Data["stock.status"]);
        Assert.Contains(Check, warming.Tags);

        gate.SetResult();
        var healthy = await WaitForHealthyAsync(checks, "the source load warmed the silo");
        Assert.Equal("2 channels healthy", healthy.Description);
        Assert.Equal(true, healthy.Data["prices.warm"]);
        Assert.Equal("Healthy", healthy.Data["prices.status"]);
        Assert.Equal(1, source.Loads);
    }

    [Fact]
    public async Task HealthCheckService_TransportDisconnectsAndReconnects_DegradedThenPossiblyStaleThenHealthyAfterThePeerRepair()
    {
        await using var bus = new InMemoryTransport();
        var transport = new ReconnectingTransport(bus);

        // Loss recovery off: only the repair from the peer silo can end the "possibly stale" state.
        await using var cluster = await StartAsync(2, transport, source: null, recovery: false);
        var silos = cluster.GetActiveSilos().Select(s => s.SiloAddress).ToList();
        foreach (var silo in silos)
        {
            await WaitForHealthyAsync(HealthChecksOf(cluster, silo), "both silos are warm");
        }

        var checks = HealthChecksOf(cluster, silos[0]);

        transport.Disconnect();
        var disconnected = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, disconnected.Status);
        Assert.Contains("prices: transport disconnected", disconnected.Description, StringComparison.Ordinal);
        Assert.Contains("stock: transport disconnected", disconnected.Description, StringComparison.Ordinal);
        Assert.Equal(false, disconnected.Data["prices.connected"]);

        transport.Connect();
        var stale = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("prices: possibly stale (Reconnected not repaired)", stale.Description, StringComparison.Ordinal);

        var repaired = await WaitForHealthyAsync(checks, "the repair from the peer silo ended the stale state");
        Assert.Equal(1L, repaired.Data["prices.repairs"]);
        Assert.Equal(1L, repaired.Data["prices.disconnects"]);
        Assert.Equal("Reconnected", repaired.Data["prices.lastLossReason"]);
    }

    private static async Task<InProcessTestCluster> StartAsync(int silos, ITransport transport, DictionarySource<PriceRecord>? source, bool recovery)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddHydrateCacheStreams(hydrate => hydrate
                .AddTransport(HydrateClusterFixture.Transport, transport)
                .AddChannel<PriceRecord>(HydrateClusterFixture.PricesChannel, HydrateClusterFixture.Transport, (_, options) =>
                {
                    options.Source = source;
                    options.Recovery.Enabled = recovery;
                })
                .AddChannel<int>(HydrateClusterFixture.StockChannel, HydrateClusterFixture.Transport, (_, options) => options.Recovery.Enabled = recovery)
                .Configure(options => options.WarmStartTimeout = TimeSpan.Zero));
            silo.Services.AddHealthChecks().AddHydrateCache();
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static HealthCheckService HealthChecksOf(InProcessTestCluster cluster, SiloAddress silo) =>
        cluster.GetSiloServiceProvider(silo).GetRequiredService<HealthCheckService>();

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService checks) =>
        (await checks.CheckHealthAsync(Ct)).Entries[Check];

    private static async Task<HealthReportEntry> WaitForHealthyAsync(HealthCheckService checks, string because)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var entry = await EntryAsync(checks);
            if (entry.Status == HealthStatus.Healthy)
            {
                return entry;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not healthy within 30 s ({because}): {entry.Status}, {entry.Description}");
            }

            await Task.Delay(20, Ct);
        }
    }
}
