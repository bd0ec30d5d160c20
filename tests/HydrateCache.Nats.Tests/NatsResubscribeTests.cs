using System.Collections.Concurrent;
using System.Text;
using HydrateCache.TestKit;

namespace HydrateCache.Nats;

/// <summary>A subscription never dies silently: ended by NATS.Net, or cut by a server crash, it comes back and says so.</summary>
[TestSuite("Functional"), TestProvider("NATS"), TestArea("Transport")]
public class NatsResubscribeTests : IAsyncLifetime
{
    private readonly AsyncDisposables _cleanup = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string NewTopic(string hint) => $"hc-{hint}-{Guid.NewGuid():N}";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _cleanup.DisposeAsync();

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SubscriptionEndedByNatsNet_NotDisposed_ResubscribesReportsFalseThenTrueAndReceivesAgain()
    {
        var logs = new CapturingLoggerFactory();
        var transport = await NewTransportAsync(new NatsTransportOptions { LoggerFactory = logs });
        var events = new ConcurrentQueue<bool>();
        transport.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = NewTopic("ended");
        var received = new MessageCollector<string>();
        await transport.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        // NATS.Net ends the subscription the way it does on its own (UNSUB sent, message channel completed), without the
        // transport's subscription being disposed.
        var ended = Assert.Single(transport.NatsSubscriptions);
        await ended.UnsubscribeAsync();

        await Eventually.TrueAsync(() => events.Contains(true), "the transport reported the subscription back", TimeSpan.FromSeconds(30));
        Assert.Equal([false, true], events);
        Assert.Equal(1, logs.Count(HydrateEventId.NatsSubscriptionEnded));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsSubscriptionDown));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsResubscribed));
        Assert.Equal(1, transport.ResubscriptionCount);
        Assert.NotSame(ended, Assert.Single(transport.NatsSubscriptions));

        // IsConnected=true is raised after the server processed the new SUB: the next message arrives, to the same handler.
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal(["before", "after"], await received.WaitForCountAsync(2));
        Assert.Equal(0, logs.Count(HydrateEventId.NatsConnectionLost));
    }

    [Fact]
    public async Task SubscriptionEndedTwice_EachTime_ResubscribesAndEventsAlternate()
    {
        var transport = await NewTransportAsync();
        var events = new ConcurrentQueue<bool>();
        transport.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = NewTopic("ended-twice");
        var received = new MessageCollector<int>();
        await transport.SubscribeAsync(topic, (m, _) => { received.Add(m.Body.Span[0]); return ValueTask.CompletedTask; }, Token);
        var publisher = await NewTransportAsync();

        for (var round = 1; round <= 2; round++)
        {
            await Assert.Single(transport.NatsSubscriptions).UnsubscribeAsync();
            await Eventually.TrueAsync(() => events.Count(e => e) == round, $"the subscription came back (round {round})", TimeSpan.FromSeconds(30));
            await publisher.PublishAsync(topic, new[] { (byte)round }, Token);
            await received.WaitForCountAsync(round);
        }

        Assert.Equal([false, true, false, true], events);
        Assert.Equal(2, transport.ResubscriptionCount);
        Assert.Equal([1, 2], received.Items);
    }

    [Fact]
    public async Task ConnectionDisposedBeforeTransport_SubscriptionEnds_GivesUpReportsDownAndLogsIt()
    {
        var logs = new CapturingLoggerFactory();
        var connection = await NatsTestServer.ConnectAsync();
        var transport = new NatsTransport(connection, new NatsTransportOptions { LoggerFactory = logs });
        _cleanup.Add(transport);
        var events = new ConcurrentQueue<bool>();
        transport.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        await transport.SubscribeAsync(NewTopic("disposed"), (_, _) => ValueTask.CompletedTask, Token);

        await connection.DisposeAsync();

        await Eventually.TrueAsync(() => logs.Contains(HydrateEventId.NatsResubscribeAbandoned), "the transport gave up on the disposed connection", TimeSpan.FromSeconds(30));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsSubscriptionEnded));
        Assert.Equal(0, transport.ResubscriptionCount);

        // An attempt racing the disposal may fail otherwise first (and be logged as a failure); none succeeds.
        Assert.False(Assert.Single(events));
    }

    [Fact]
    public async Task ServerCrash_SigkillThenRestartOnSamePort_ReportsFalseThenTrueAndSubscriptionReceivesAgain()
    {
        // A private server: crashing it disturbs no other test.
        if (ServerProcess.WhyUnavailable(TestServers.Nats) is { } why)
        {
            TestServers.Unavailable(why);
        }

        await using var server = await ServerProcess.StartAsync(TestServers.Nats);
        var logs = new CapturingLoggerFactory();
        var subscriber = await NewTransportAsync(new NatsTransportOptions { LoggerFactory = logs }, server.Address);
        var publisher = await NewTransportAsync(url: server.Address);
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = NewTopic("crash");
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        var killed = await server.CrashAsync();
        await Eventually.TrueAsync(() => events.Contains(false), "the subscriber reported the crash");
        await Task.Delay(TimeSpan.FromSeconds(1), Token);
        var restarted = await server.RestartAsync();

        Assert.NotEqual(killed, restarted);
        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber reported the reconnect", TimeSpan.FromSeconds(30));
        Assert.Equal([false, true], events);
        Assert.Equal(1, logs.Count(HydrateEventId.NatsConnectionLost));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsConnectionRestored));

        // The resubscription reached the restarted server before IsConnected=true: the next message arrives.
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal(["before", "after"], await received.WaitForCountAsync(2, TimeSpan.FromSeconds(30)));
    }

    private async Task<NatsTransport> NewTransportAsync(NatsTransportOptions? options = null, string? url = null)
    {
        var connection = await NatsTestServer.ConnectAsync(url: url);
        _cleanup.Add(connection);
        var transport = new NatsTransport(connection, options);
        _cleanup.Add(transport);
        return transport;
    }
}
