using System.Collections.Concurrent;
using System.Text;
using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

/// <summary>Broker restarts and outages, each on a private mock host so the suite's server is not disturbed.</summary>
[TestSuite("Functional")]
[TestProvider("Kafka")]
[TestArea("Transport")]
public sealed class KafkaRestartTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BrokerRestart_Sighup_MessagesPublishedDuringOutageStillArriveAndStateIsReported()
    {
        await using var host = await MockKafkaHost.StartAsync();
        await using var subscriber = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers });
        await using var publisher = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers });
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = $"hc-{Guid.NewGuid():N}";
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        host.Signal("HUP");
        await Eventually.TrueAsync(() => events.Contains(false), "the subscriber reported the outage");
        Assert.False(subscriber.IsConnected);

        // Published while the broker is down: the producer retries until it is back, the consumer resumes from its position.
        await publisher.PublishAsync(topic, "during"u8.ToArray(), Token);
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);

        Assert.Equal(["before", "during", "after"], await received.WaitForCountAsync(3, TimeSpan.FromSeconds(30)));
        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber reported the reconnect");
        Assert.Equal([false, true], events.ToArray());
        Assert.True(subscriber.IsConnected);
    }

    [Fact]
    public async Task HostRestart_StablePort_ClientsReconnectWithoutUserAction()
    {
        var port = MockKafkaHost.FreePort();
        await using var host = await MockKafkaHost.StartAsync(port);
        await using var restarted = new AsyncDisposableSlot();
        await using var subscriber = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers });
        await using var publisher = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers });
        Assert.Equal($"127.0.0.1:{port}", host.BootstrapServers);
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = $"hc-{Guid.NewGuid():N}";
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        Assert.Equal(0, await host.StopAsync());
        await host.DisposeAsync();
        await Eventually.TrueAsync(() => events.Contains(false), "the subscriber reported the outage");
        restarted.Value = await MockKafkaHost.StartAsync(port);

        // The new cluster starts empty: the consumer's old offsets are out of range there and reset to the end, so
        // publish until one message gets through (as after any Kafka data loss), like the conformance suite does.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!received.Items.Contains("after"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the subscription did not resume within 60 s of the host restart");
            try
            {
                await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
            }
            catch (KafkaTransportException)
            {
            }

            await Task.Delay(200, Token);
        }

        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber reported the reconnect");
    }

    [Fact]
    public async Task Dispose_WhileBrokerIsGone_FailsPendingPublishCountsTheDropAndReturns()
    {
        await using var host = await MockKafkaHost.StartAsync();
        var publisher = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers });
        var topic = $"hc-{Guid.NewGuid():N}";
        await publisher.PublishAsync(topic, "delivered"u8.ToArray(), Token);
        await host.StopAsync();
        await host.DisposeAsync();

        var pending = publisher.PublishAsync(topic, "stuck"u8.ToArray(), Token).AsTask();
        await Task.Delay(300, Token);
        Assert.False(pending.IsCompleted);

        var disposing = publisher.DisposeAsync().AsTask();
        Assert.Same(disposing, await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(15), Token)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending);
        Assert.Equal(1, publisher.DroppedCount);
    }

    [Fact]
    public async Task Publish_BrokerGoneLongerThanDeliveryTimeout_ThrowsTransientKafkaTransportException()
    {
        await using var host = await MockKafkaHost.StartAsync();
        await using var publisher = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers, DeliveryTimeout = TimeSpan.FromSeconds(2) });
        var topic = $"hc-{Guid.NewGuid():N}";
        await WarmUpAsync(publisher, topic);
        await host.StopAsync();

        var ex = await Assert.ThrowsAsync<KafkaTransportException>(async () => await publisher.PublishAsync(topic, "lost"u8.ToArray(), Token));
        Assert.True(ex.IsTransient);
        Assert.Contains(topic, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, publisher.DroppedCount);
    }

    [Fact]
    public async Task Publish_WaitCancelledThenDeliveryFails_CountsTheDrop()
    {
        await using var host = await MockKafkaHost.StartAsync();
        await using var publisher = new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = host.BootstrapServers, DeliveryTimeout = TimeSpan.FromSeconds(2) });
        var topic = $"hc-{Guid.NewGuid():N}";
        await WarmUpAsync(publisher, topic);
        await host.StopAsync();

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await publisher.PublishAsync(topic, "lost"u8.ToArray(), cancel.Token));
        Assert.Equal(0, publisher.DroppedCount);
        await Eventually.TrueAsync(() => publisher.DroppedCount == 1, "the failed delivery nobody waited for was counted");
    }

    /// <summary>
    /// Delivers a first message. A new idempotent producer's first publish can take 0.5–1 s (librdkafka acquires its
    /// producer id on a 500 ms retry timer), which a short <see cref="KafkaTransportOptions.DeliveryTimeout"/> may not cover.
    /// </summary>
    private static async Task WarmUpAsync(KafkaTransport publisher, string topic)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.PublishAsync(topic, "warm-up"u8.ToArray(), Token);
                return;
            }
            catch (KafkaTransportException) when (attempt < 5)
            {
            }
        }
    }

    private sealed class AsyncDisposableSlot : IAsyncDisposable
    {
        public MockKafkaHost? Value { get; set; }

        public async ValueTask DisposeAsync()
        {
            if (Value is not null)
            {
                await Value.DisposeAsync();
            }
        }
    }
}
