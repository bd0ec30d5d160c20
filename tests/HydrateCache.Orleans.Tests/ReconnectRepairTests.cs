using System.Diagnostics;
using HydrateCache.TestKit;
using Npgsql;
using StackExchange.Redis;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// Cuts every silo's subscriber connection, again and again, while grains keep writing: the updates published while the
/// subscribers were reconnecting are lost by the transport (at-most-once) and must come back through peer repair (each
/// writer's silo applied its own writes). The last cut falls in the last pass of writes and nothing is written after
/// that pass, so the test ends with the loss.
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
    public async Task SubscribersCutRepeatedlyWhileGrainsWrite_EverySiloConverges_ThroughRepair()
    {
        // Three passes over 300 keys (the last one deletes every tenth key), a cut a quarter of the way into each pass.
        const int Keys = 300;
        const int Cuts = 3;
        var workload = new GrainWriteWorkload(_fixture, Keys, passes: Cuts);
        var repairedBefore = _fixture.PricesStatistic(s => s.Repaired);
        var retransmittedBefore = _fixture.PricesStatistic(s => s.Retransmitted);
        var killed = new long[Cuts];
        var started = Stopwatch.GetTimestamp();

        await workload.RunAsync(async pass => killed[pass] = await CutSubscribersAsync(_fixture), faultAfter: Keys / 4);

        // The fault happened, every time: the server closed subscriber connections.
        Assert.All(killed, k => Assert.True(k > 0, $"a cut closed no subscriber connection ({string.Join(", ", killed)})"));

        var converged = await workload.WaitUntilEverySiloHoldsFinalStateAsync();

        // And it bit: silos missed updates the transport lost during the reconnects, and peer repair brought them back.
        var repaired = _fixture.PricesStatistic(s => s.Repaired) - repairedBefore;
        Console.WriteLine($"{typeof(TFixture).Name}: {Cuts} cuts closed {string.Join("+", killed)} subscriber connections, {workload.Writes} writes " +
            $"({workload.Retried} retried) done after {Stopwatch.GetElapsedTime(started, workload.FinishedAt).TotalMilliseconds:F0} ms, " +
            $"{repaired} entries repaired, {_fixture.PricesStatistic(s => s.Retransmitted) - retransmittedBefore} updates retransmitted on request, converged {converged.TotalMilliseconds:F0} ms after the last write");
        Assert.True(repaired > 0, "no update was lost and repaired: the cuts did not bite");
    }
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
