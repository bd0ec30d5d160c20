using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

/// <summary>
/// A subscription whose consumer fails for good (a real librdkafka fatal error) gets a new consumer that resumes from
/// the old one's position: what was published meanwhile is replayed, nothing is lost. Each test has its own mock host.
/// </summary>
[TestSuite("Functional")]
[TestProvider("Kafka")]
[TestArea("Transport")]
public sealed class KafkaConsumerRecreateTests
{
    private const int Count = 50;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConsumerFatalError_MessagesPublishedWhileRecreating_AllDeliveredAndRecreationReported()
    {
        await using var host = await MockKafkaHost.StartAsync();
        var logs = new CapturingLoggerFactory();
        await using var subscriber = new KafkaTransport(Options(host, logs, TimeSpan.FromSeconds(2)));
        await using var publisher = new KafkaTransport(Options(host, null, TimeSpan.FromMilliseconds(100)));
        var events = new ConcurrentQueue<bool>();
        var topic = $"hc-{Guid.NewGuid():N}";
        var received = new MessageCollector<string>();
        var receivedWhenRepublished = -1;
        subscriber.ConnectionChanged += (_, e) =>
        {
            events.Enqueue(e.IsConnected);
            if (!e.IsConnected)
            {
                // Raised on the subscription's recovery path before the new consumer is created, which waits for this
                // handler (a handler must not block; this one does on purpose): so these are published while no consumer exists.
                Task.WhenAll(Enumerable.Range(0, Count).Select(i => publisher.PublishAsync(topic, Encoding.UTF8.GetBytes(Message(i)), Token).AsTask())).GetAwaiter().GetResult();
                Volatile.Write(ref receivedWhenRepublished, received.Count);
            }
        };
        await subscriber.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        var subscription = Assert.Single(SubscriptionsOf(subscriber));
        LibRdKafkaFaults.TriggerFatalError(subscription.Consumer!);
        await Eventually.TrueAsync(() => Volatile.Read(ref receivedWhenRepublished) >= 0, "the subscriber reported its consumer down, and the messages were published meanwhile");
        Assert.Equal(1, receivedWhenRepublished);

        var all = await received.WaitForCountAsync(Count + 1, TimeSpan.FromSeconds(30));
        Assert.Equal(["before", .. Enumerable.Range(0, Count).Select(Message)], all);
        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber reported its consumer back");
        Assert.Equal([false, true], events);
        Assert.Equal(1, subscriber.RecreatedConsumerCount);
        Assert.Equal(1, logs.Count(HydrateEventId.KafkaSubscriptionFailed));
        Assert.Equal(1, logs.Count(HydrateEventId.KafkaRecreated));
        Assert.Equal(0, logs.Count(HydrateEventId.KafkaPositionUnavailable));
        Assert.Equal(0, subscriber.DroppedCount);
    }

    [Fact]
    public async Task ConsumerFatalErrorDuringBrokerOutage_RecreatedOnceBrokersAreBack_EveryMessageOfTheOutageDelivered()
    {
        await using var host = await MockKafkaHost.StartAsync();
        var logs = new CapturingLoggerFactory();
        await using var subscriber = new KafkaTransport(Options(host, logs, TimeSpan.FromMilliseconds(100)));
        await using var publisher = new KafkaTransport(Options(host, null, TimeSpan.FromMilliseconds(100)));
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = $"hc-{Guid.NewGuid():N}";
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        // Brokers down (simulated restart, ~2 s, data kept), then the consumer dies: the new one cannot read its
        // partitions' offsets until they are back.
        host.Signal("HUP");
        await Eventually.TrueAsync(() => events.Contains(false), "the subscriber reported the outage");
        var subscription = Assert.Single(SubscriptionsOf(subscriber));
        LibRdKafkaFaults.TriggerFatalError(subscription.Consumer!);
        var publishing = Enumerable.Range(0, Count).Select(i => publisher.PublishAsync(topic, Encoding.UTF8.GetBytes(Message(i)), Token).AsTask()).ToArray();

        await Task.WhenAll(publishing);
        var all = await received.WaitForCountAsync(Count + 1, TimeSpan.FromSeconds(60));
        Assert.Equal(["before", .. Enumerable.Range(0, Count).Select(Message)], all);
        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber reported the recovery");
        Assert.Equal([false, true], events);
        Assert.Equal(1, subscriber.RecreatedConsumerCount);
        Assert.Equal(1, logs.Count(HydrateEventId.KafkaSubscriptionFailed));
        Assert.Equal(0, subscriber.DroppedCount);
    }

    private static KafkaTransportOptions Options(MockKafkaHost host, CapturingLoggerFactory? logs, TimeSpan initialBackoff) => new()
    {
        BootstrapServers = host.BootstrapServers,
        ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10),
        LoggerFactory = logs,
        ResubscribeBackoff = new TransportBackoffOptions { InitialDelay = initialBackoff, MaxDelay = initialBackoff > TimeSpan.FromSeconds(2) ? initialBackoff : TimeSpan.FromSeconds(2) },
    };

    private static string Message(int i) => "m" + i.ToString("D3", CultureInfo.InvariantCulture);

    private static IEnumerable<KafkaSubscription> SubscriptionsOf(KafkaTransport transport) => transport.Subscriptions;
}
