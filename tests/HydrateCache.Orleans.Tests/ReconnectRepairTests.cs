using System.Diagnostics;
using HydrateCache.Orleans.Runtime;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Cuts every silo's subscriber connection while grains keep writing, then stops writing: the updates published while
/// the subscribers were reconnecting are lost by the transport (at-most-once) and must come back through peer repair
/// (each writer's silo applied its own writes). The test ends with the loss: no write follows the last cut.
/// </summary>
public abstract class ReconnectRepairTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected ReconnectRepairTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    /// <summary>Cuts the subscriber connections of this cluster's silos (no other test's) and returns how many the server closed.</summary>
    protected abstract Task<long> CutSubscribersAsync(TFixture fixture);

    [Fact]
    public async Task SubscribersCutWhileGrainsWrite_EverySiloConverges_ThroughRepair()
    {
        var prefix = $"cut-{Guid.NewGuid():N}-";
        const int Keys = 300;
        var repairedBefore = RepairedOnAllSilos();
        var written = 0;
        var killed = 0L;
        var started = Stopwatch.GetTimestamp();

        // Eight writers, each key written once, from grains spread over the silos; the cut happens a third of the way in.
        var writers = Enumerable.Range(0, 8).Select(async writer =>
        {
            for (var i = writer; i < Keys; i += 8)
            {
                await _fixture.Cluster.Client.GetGrain<IPriceGrain>(prefix + i).SetAsync(i);
                if (Interlocked.Increment(ref written) == Keys / 3)
                {
                    killed = await CutSubscribersAsync(_fixture);
                }
            }
        });
        await Task.WhenAll(writers);
        var cutAt = Stopwatch.GetElapsedTime(started);

        // The fault happened: the server closed subscriber connections.
        Assert.True(killed > 0, "the cut closed no subscriber connection");

        await Eventually.TrueAsync(
            () => _fixture.Caches<PriceRecord>().All(c => Enumerable.Range(0, Keys).All(i => c.Cache.TryGet(prefix + i, out var p) && p.Value == i)),
            "every silo holds every write",
            TimeSpan.FromSeconds(60));
        var converged = Stopwatch.GetElapsedTime(started);

        // And it bit: silos missed updates the transport lost during the reconnect, and peer repair brought them back.
        var repaired = RepairedOnAllSilos() - repairedBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: {killed} subscriber connections cut, {repaired} entries repaired, writes done after {cutAt.TotalMilliseconds:F0} ms, converged after {converged.TotalMilliseconds:F0} ms");
        Assert.True(repaired > 0, "no update was lost and repaired: the cut did not bite");
    }

    private long RepairedOnAllSilos() => _fixture.ActiveSilos.Sum(silo =>
        _fixture.Cluster.GetSiloServiceProvider(silo)
            .GetRequiredKeyedService<HydrateChannelRuntime<PriceRecord>>(HydrateClusterFixture.PricesChannel).TypedChannel.Statistics.Repaired);
}

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Convergence")]
public sealed class RedisReconnectRepairTests(RedisClusterFixture fixture) : ReconnectRepairTests<RedisClusterFixture>(fixture)
{
    protected override async Task<long> CutSubscribersAsync(RedisClusterFixture fixture)
    {
        // Like CLIENT KILL TYPE pubsub, restricted to this cluster's connections: those in subscribed state (sub > 0).
        // The publishing connections survive (RESP2 keeps subscriptions on their own connection).
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestServers.RequireEndpoint(TestServers.Redis) + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var killed = 0L;
        foreach (var client in await server.ClientListAsync())
        {
            if (client.Name == fixture.ClientName && client.SubscriptionCount > 0)
            {
                killed += await server.ClientKillAsync(id: client.Id, clientType: null, endpoint: null, skipMe: true);
            }
        }

        return killed;
    }
}

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Convergence")]
public sealed class PostgresReconnectRepairTests(PostgresClusterFixture fixture) : ReconnectRepairTests<PostgresClusterFixture>(fixture)
{
    protected override async Task<long> CutSubscribersAsync(PostgresClusterFixture fixture)
    {
        // Ends this cluster's listening sessions (their last statement is a LISTEN or the keep-alive), not the pooled publishers.
        await using var admin = NpgsqlDataSource.Create(TestServers.RequireEndpoint(TestServers.Postgres));
        await using var command = admin.CreateCommand(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() " +
            "AND application_name = $1 AND (query ILIKE 'LISTEN%' OR query = 'SELECT 1')) AS killed");
        command.Parameters.AddWithValue(fixture.ClientName);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
