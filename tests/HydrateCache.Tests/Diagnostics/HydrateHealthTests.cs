using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Diagnostics;

/// <summary>The health model of a channel (healthy, degraded with a reason, unhealthy when it lasts) and its health check.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Diagnostics")]
public class HydrateHealthTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_TransportDisconnectsThenReconnects_DegradedThenUnhealthyThenStaleUntilRepaired()
    {
        var health = new HydrateChannelHealth("prices", _time);
        health.ReportSubscribed();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);

        _time.Advance(TimeSpan.FromSeconds(1));
        health.ReportConnectionChanged(false);
        _time.Advance(TimeSpan.FromSeconds(10));
        var disconnected = await CheckAsync(health);
        Assert.Equal(HealthStatus.Degraded, disconnected.Status);
        Assert.Equal("prices: transport disconnected for 10 s", disconnected.Description);
        Assert.Equal(false, disconnected.Data["prices.connected"]);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(10), disconnected.Data["prices.since"]);

        _time.Advance(TimeSpan.FromSeconds(20));
        var tooLong = await CheckAsync(health);
        Assert.Equal(HealthStatus.Unhealthy, tooLong.Status);
        Assert.Equal("prices: transport disconnected for 30 s (unhealthy after 30 s)", tooLong.Description);

        health.ReportConnectionChanged(true);
        health.ReportLoss(HydrateLossReason.Reconnected);
        var losses = health.LossCount;
        _time.Advance(TimeSpan.FromSeconds(2));
        var stale = await CheckAsync(health);
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Equal("prices: possibly stale (Reconnected not repaired) for 2 s", stale.Description);
        Assert.Equal("Reconnected", stale.Data["prices.lastLossReason"]);

        health.ReportRepaired(losses);
        var repaired = await CheckAsync(health);
        Assert.Equal(HealthStatus.Healthy, repaired.Status);
        Assert.Equal("prices: healthy", repaired.Description);
        Assert.Equal(_time.GetUtcNow(), repaired.Data["prices.since"]);
        Assert.Equal(1L, repaired.Data["prices.losses"]);
        Assert.Equal(1L, repaired.Data["prices.repairs"]);
        Assert.Equal(1L, repaired.Data["prices.disconnects"]);
    }

    [Fact]
    public async Task Health_NeverSubscribed_DegradedThenUnhealthyAfterTheThreshold()
    {
        var health = new HydrateChannelHealth("prices", _time);

        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(health)).Status);
        _time.Advance(TimeSpan.FromSeconds(30));
        var result = await CheckAsync(health);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("prices: not subscribed for 30 s (unhealthy after 30 s)", result.Description);
    }

    [Fact]
    public async Task Health_SubscribeFailed_UnhealthyNamingTheExceptionTypeButNotItsMessage()
    {
        var health = new HydrateChannelHealth("prices", _time);

        health.ReportSubscribeFailed(new InvalidOperationException("redis://user:hunter2@10.0.0.1 refused"));
        var result = await CheckAsync(health);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.StartsWith("prices: subscribing failed (InvalidOperationException)", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Data.Values, v => v.ToString()!.Contains("hunter2", StringComparison.Ordinal));

        health.ReportSubscribed();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);
    }

    [Fact]
    public async Task Health_CacheCold_WarmingUntilWarm_AndAFailedWarmStartIsUnhealthy()
    {
        var health = new HydrateChannelHealth("prices", _time);
        var warm = new TaskCompletionSource();
        health.TrackWarmth(warm.Task);
        health.ReportSubscribed();

        var warming = await CheckAsync(health);
        Assert.Equal(HealthStatus.Degraded, warming.Status);
        Assert.Equal("prices: warming (cache not loaded yet) for 0 s", warming.Description);
        Assert.Equal(false, warming.Data["prices.warm"]);

        health.ReportWarmStartFailed("no peer answered");
        var failed = await CheckAsync(health);
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("prices: warm start failed (no peer answered) for 0 s", failed.Description);

        warm.SetResult();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);
    }

    [Fact]
    public async Task Health_StaysCold_UnhealthyAfterWarmingThreshold()
    {
        var health = new HydrateChannelHealth("prices", _time);
        health.TrackWarmth(new TaskCompletionSource().Task);
        health.ReportSubscribed();

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(health)).Status);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(health)).Status);
    }

    [Fact]
    public async Task Health_LossDuringARepair_StaysPossiblyStaleSinceThatLoss()
    {
        var health = new HydrateChannelHealth("prices", _time);
        health.ReportSubscribed();
        health.ReportLoss(HydrateLossReason.TransportLoss);
        var before = health.LossCount;
        _time.Advance(TimeSpan.FromSeconds(3));
        health.ReportLoss(HydrateLossReason.Unrecoverable);
        _time.Advance(TimeSpan.FromSeconds(1));

        health.ReportRepaired(before);
        var result = await CheckAsync(health);

        Assert.True(health.IsPossiblyStale);
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("prices: possibly stale (Unrecoverable not repaired) for 1 s", result.Description);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(health)).Status);
        health.ReportRepaired(health.LossCount);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);
    }

    [Theory]
    [InlineData(HydrateLossReason.TransportLoss, 0UL, true)]
    [InlineData(HydrateLossReason.Reconnected, 0UL, true)]
    [InlineData(HydrateLossReason.Reconnected, 2UL, false)]
    [InlineData(HydrateLossReason.Unrecoverable, 0UL, false)]
    public void Health_AfterLossRecoveryHadTheTime_RepairedOnlyWhenNothingIsMissingAndNothingWasGivenUp(HydrateLossReason reason, ulong missing, bool repaired)
    {
        var settle = new HydrateRecoveryOptions().SelfRepairTime;
        var health = new HydrateChannelHealth("prices", _time, settle, () => missing);
        health.ReportSubscribed();
        health.ReportLoss(reason);

        _time.Advance(settle - TimeSpan.FromMilliseconds(1));
        Assert.True(health.IsPossiblyStale);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(!repaired, health.IsPossiblyStale);
        Assert.Equal(repaired ? 1 : 0, health.RepairCount);
    }

    [Fact]
    public void RecoveryOptions_SelfRepairTime_IsTwoHeartbeatsTheRequestDelayAndEveryAttempt()
    {
        Assert.Equal(TimeSpan.FromSeconds(5.2), new HydrateRecoveryOptions().SelfRepairTime);
    }

    [Fact]
    public async Task Health_InfiniteThreshold_StaysDegraded()
    {
        var health = new HydrateChannelHealth("prices", _time);
        health.ReportSubscribed();
        health.ReportConnectionChanged(false);
        _time.Advance(TimeSpan.FromHours(1));

        var result = await CheckAsync(health, new HydrateHealthOptions { DisconnectedUnhealthyAfter = Timeout.InfiniteTimeSpan });

        Assert.Equal(HealthStatus.Degraded, result.Status);
    }

    [Fact]
    public void HealthCheck_NegativeThreshold_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HydrateHealthCheck([], new HydrateHealthOptions { StaleUnhealthyAfter = TimeSpan.FromSeconds(-1) }));
    }

    [Fact]
    public async Task HealthCheck_SeveralChannels_WorstStatusAndEveryChannelsFacts()
    {
        var prices = new HydrateChannelHealth("prices", _time);
        var orders = new HydrateChannelHealth("orders", _time);
        prices.ReportSubscribed();
        orders.ReportSubscribed();
        orders.ReportConnectionChanged(false);

        var result = await CheckAsync([prices, orders]);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("orders: transport disconnected for 0 s", result.Description);
        Assert.Equal("Healthy", result.Data["prices.status"]);
        Assert.Equal("Degraded", result.Data["orders.status"]);
    }

    [Fact]
    public async Task HealthCheckService_PlainChannel_HealthyDegradedUnhealthyOnDisconnectThenHealthyAfterTheSourceReload()
    {
        await using var bus = new InMemoryTransport();
        var transport = new ReconnectingTransport(bus);
        var source = new DictionarySource<string>();
        source.Write("a", "1");
        var options = new HydrateChannelOptions<string> { Source = source, TimeProvider = _time };
        options.Recovery.Enabled = false;
        await using var channel = new HydrateChannel<string>(transport, "prices", options);
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false });
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddCheck("hydratecache", new HydrateHealthCheck([channel.Health]));
        await using var provider = services.BuildServiceProvider();
        var checks = provider.GetRequiredService<HealthCheckService>();

        var before = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, before.Status);
        Assert.Equal("prices: not subscribed for 0 s", before.Description);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = channel.HydrateAsync(cache, stop.Token);
        await cache.WhenWarmAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(HealthStatus.Healthy, (await EntryAsync(checks)).Status);

        transport.Disconnect();
        var disconnected = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, disconnected.Status);
        Assert.Contains("transport disconnected", disconnected.Description, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HealthStatus.Unhealthy, (await EntryAsync(checks)).Status);

        source.Write("b", "written while disconnected");
        transport.Connect();
        var stale = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Degraded, stale.Status);
        Assert.Equal("prices: possibly stale (Reconnected not repaired) for 0 s", stale.Description);

        // The reload after the loss (at most every MinSourceReloadInterval) is the repair.
        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                return !channel.Health.IsPossiblyStale;
            },
            "the source reload repaired the channel");
        var healthy = await EntryAsync(checks);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.True(cache.TryGet("b", out _));
        Assert.Equal(2, source.Loads);
        Assert.Equal(1L, healthy.Data["prices.repairs"]);
        Assert.Equal("Reconnected", healthy.Data["prices.lastLossReason"]);

        await stop.CancelAsync();
        await hydrating;
        Assert.Equal("prices: not subscribed for 0 s", (await EntryAsync(checks)).Description);
    }

    [Fact]
    public async Task HealthCheckService_RegistrationFailureStatus_ReplacesUnhealthy()
    {
        var health = new HydrateChannelHealth("prices", _time);
        health.ReportSubscribeFailed(new TimeoutException());
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddCheck("hydratecache", new HydrateHealthCheck([health]), failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();

        var entry = await EntryAsync(provider.GetRequiredService<HealthCheckService>());

        Assert.Equal(HealthStatus.Degraded, entry.Status);
    }

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService checks) =>
        (await checks.CheckHealthAsync(Token)).Entries["hydratecache"];

    private static Task<HealthCheckResult> CheckAsync(HydrateChannelHealth health, HydrateHealthOptions? options = null) =>
        CheckAsync([health], options);

    private static Task<HealthCheckResult> CheckAsync(HydrateChannelHealth[] channels, HydrateHealthOptions? options = null) =>
        new HydrateHealthCheck(channels, options).CheckHealthAsync(new HealthCheckContext(), Token);
}
