using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace HydrateCache.Redis.Tests;

/// <summary>
/// A plain .NET service's health check on a real Redis server that crashes and comes back: healthy, degraded while the
/// transport is disconnected, possibly stale after the reconnect, healthy again once the source reload repaired the cache.
/// </summary>
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Diagnostics")]
public sealed class RedisHealthCheckTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthCheckService_ServerCrashesAndRestarts_HealthyDegradedDisconnectedPossiblyStaleThenHealthyAfterTheReload()
    {
        // A private server: crashing it disturbs no other test.
        if (ServerProcess.WhyUnavailable(TestServers.Redis) is { } why)
        {
            TestServers.Unavailable(why);
        }

        await using var server = await ServerProcess.StartAsync(TestServers.Redis);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync($"{server.Address},abortConnect=false,name=hc-health-{Guid.NewGuid():N}");
        await using var transport = new RedisTransport(multiplexer);
        var source = new DictionarySource<string>();
        source.Write("a", "1");

        // Loss recovery off: only the reload from the source can end the "possibly stale" state.
        var options = new HydrateChannelOptions<string> { Source = source };
        options.Recovery.Enabled = false;
        await using var channel = new HydrateChannel<string>(transport, $"hc-health-{Guid.NewGuid():N}", options);
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false });
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddCheck("hydratecache", new HydrateHealthCheck([channel.Health]));
        await using var provider = services.BuildServiceProvider();
        var checks = provider.GetRequiredService<HealthCheckService>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        var healthy = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);

        var killed = await server.CrashAsync();
        var disconnected = await WaitForAsync(checks, e => e.Description?.Contains("transport disconnected", StringComparison.Ordinal) == true, "the crash was reported");
        Assert.Equal(HealthStatus.Degraded, disconnected.Status);
        Assert.Equal(false, disconnected.Data[channel.Name + ".connected"]);

        source.Write("b", "written while the server was down");
        var restarted = await server.RestartAsync();
        Assert.NotEqual(killed, restarted);
        var stale = await WaitForAsync(checks, e => (bool)e.Data[channel.Name + ".connected"], "the transport reconnected", TimeSpan.FromSeconds(30));
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Contains("possibly stale (Reconnected not repaired)", stale.Description, StringComparison.Ordinal);

        // The channel reloads its source after the loss (at most every MinSourceReloadInterval): that is the repair.
        var repaired = await WaitForAsync(checks, e => e.Status == HealthStatus.Healthy, "the source reload repaired the cache", TimeSpan.FromSeconds(30));
        Assert.True(cache.TryGet("b", out _));
        Assert.Equal(2, source.Loads);
        Assert.Equal(1, server.Crashes);
        Assert.Equal(1L, repaired.Data[channel.Name + ".disconnects"]);
        Assert.Equal(1L, repaired.Data[channel.Name + ".repairs"]);
        Assert.Equal("Reconnected", repaired.Data[channel.Name + ".lastLossReason"]);

        await stop.CancelAsync();
        await hydrating;
    }

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService checks) =>
        (await checks.CheckHealthAsync(Token)).Entries["hydratecache"];

    private static async Task<HealthReportEntry> WaitForAsync(HealthCheckService checks, Func<HealthReportEntry, bool> condition, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var entry = await EntryAsync(checks);
            if (condition(entry))
            {
                return entry;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not true within {limit} ({because}): {entry.Status}, {entry.Description}");
            }

            await Task.Delay(20, Token);
        }
    }
}
