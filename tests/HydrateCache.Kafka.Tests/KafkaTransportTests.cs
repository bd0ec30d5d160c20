using System.Globalization;
using System.Text;
using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

[TestSuite("Functional")]
[TestProvider("Kafka")]
[TestArea("Transport")]
public sealed class KafkaTransportTests : IAsyncLifetime
{
    private readonly List<KafkaTransport> _transports = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }
    }

    [Fact]
    public async Task Publish_FramesOfManyKeys_EverySubscriberReceivesEveryFrameInKeyOrder()
    {
        var topic = NewTopic();
        var subscribers = new List<MessageCollector<HydrateFrameMetadata>>();
        for (var i = 0; i < 3; i++)
        {
            var received = new MessageCollector<HydrateFrameMetadata>();
            await Connect().SubscribeAsync(
                topic,
                (message, _) =>
                {
                    Assert.True(HydrateFrame.TryReadMetadata(message.Body, out var metadata));
                    received.Add(metadata);
                    return ValueTask.CompletedTask;
                },
                Token);
            subscribers.Add(received);
        }

        var channel = NewChannel(Connect(), topic);
        var keys = Enumerable.Range(0, 12).Select(i => $"item:{i}").ToList();
        for (var round = 0; round < 5; round++)
        {
            foreach (var key in keys)
            {
                await channel.PublishAsync(key, $"{key}@{round}", cancellationToken: Token);
            }
        }

        foreach (var subscriber in subscribers)
        {
            var frames = await subscriber.WaitForCountAsync(60);
            Assert.Equal(60, frames.Count);
            foreach (var key in keys)
            {
                var sequences = frames.Where(f => f.Key == key).Select(f => f.Sequence).ToList();
                Assert.Equal(5, sequences.Count);
                Assert.Equal(sequences.Order(), sequences);
            }
        }

        // The keys really were spread over several partitions (the mock auto-creates topics with 4).
        var stored = await RawKafka.ReadFromBeginningAsync(Endpoint, topic, 60);
        Assert.True(stored.Select(r => r.Partition.Value).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Publish_Frame_KeyIsCacheKeyAndHeadersDescribeIt()
    {
        var topic = NewTopic();
        var channel = NewChannel(Connect(), topic);
        var ttlStart = DateTimeOffset.FromUnixTimeMilliseconds(1_760_000_000_123);
        await channel.PublishAsync("user:42/ключ", "v1", new Ttl(ttlStart, TimeSpan.FromSeconds(90)), Token);
        await channel.RemoveAsync("user:42/ключ", Token);

        var stored = (await RawKafka.ReadFromBeginningAsync(Endpoint, topic, 2)).OrderBy(r => r.Offset.Value).ToList();
        Assert.Single(stored.Select(r => r.Partition.Value).Distinct());
        foreach (var result in stored)
        {
            Assert.Equal("user:42/ключ", Encoding.UTF8.GetString(result.Message.Key!));
            Assert.True(HydrateFrame.TryReadMetadata(result.Message.Value, out var metadata));
            Assert.Equal(metadata.Version.ToString(), result.Header("hc-version"));
            Assert.Equal(channel.SenderId.ToString("D"), result.Header("hc-sender"));
            Assert.Equal(metadata.Sequence.ToString(CultureInfo.InvariantCulture), result.Header("hc-seq"));
        }

        var upsert = stored[0];
        Assert.Equal("upsert", upsert.Header("hc-kind"));
        Assert.Equal("1760000000123", upsert.Header("hc-ttl-start"));
        Assert.Equal("90000", upsert.Header("hc-ttl-duration"));
        Assert.Equal("utf8", upsert.Header("hc-codec"));

        var delete = stored[1];
        Assert.Equal("delete", delete.Header("hc-kind"));
        Assert.Null(delete.Header("hc-ttl-start"));
        Assert.Null(delete.Header("hc-ttl-duration"));
        Assert.Null(delete.Header("hc-codec"));
    }

    [Fact]
    public async Task Publish_BytesThatAreNotAFrame_NoKeyNoHeadersPartitionZero()
    {
        var topic = NewTopic();
        var publisher = Connect();
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(topic, Encoding.UTF8.GetBytes($"plain-{i}"), Token);
        }

        var stored = await RawKafka.ReadFromBeginningAsync(Endpoint, topic, 10);
        Assert.All(stored, r =>
        {
            Assert.Null(r.Message.Key);
            Assert.True(r.Message.Headers is null || r.Message.Headers.Count == 0);
            Assert.Equal(0, r.Partition.Value);
        });
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"plain-{i}"), stored.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
    }

    [Fact]
    public async Task Publish_OverConfiguredLimit_ThrowsTypedExceptionAndSendsNothing()
    {
        var topic = NewTopic();
        var received = new MessageCollector<int>();
        await Connect().SubscribeAsync(topic, (m, _) => { received.Add(m.Body.Length); return ValueTask.CompletedTask; }, Token);
        var publisher = Connect(o => o.MaxMessageBytes = 1000);

        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await publisher.PublishAsync(topic, new byte[1001], Token));
        Assert.Equal(1001, ex.Size);
        Assert.Equal(1000, ex.Limit);
        Assert.False(ex.IsTransient);

        await publisher.PublishAsync(topic, new byte[1000], Token);
        Assert.Equal([1000], await received.WaitForCountAsync(1));
        await Task.Delay(200, Token);
        Assert.Equal(1, received.Count);
    }

    [Fact]
    public async Task Publish_FrameWhoseKeyPushesRecordOverProducerLimit_ThrowsTypedException()
    {
        // The frame (about 600 KB, mostly its key) is under MaxMessageBytes, but the Kafka record carries the key twice.
        var channel = NewChannel(Connect(), NewTopic());
        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await channel.PublishAsync(new string('k', 600_000), "v", cancellationToken: Token));
        Assert.True(ex.Size > 1_200_000);
        Assert.Equal(new KafkaTransportOptions().MaxMessageBytes + 65_536, ex.Limit);
    }

    [Fact]
    public async Task Subscribe_AfterEarlierPublishes_ReceivesOnlyLaterMessages()
    {
        var topic = NewTopic();
        var publisher = Connect();
        await publisher.PublishAsync(topic, "old"u8.ToArray(), Token);

        var received = new MessageCollector<string>();
        await Connect().SubscribeAsync(topic, (m, _) => { received.Add(Encoding.UTF8.GetString(m.Body.Span)); return ValueTask.CompletedTask; }, Token);
        await publisher.PublishAsync(topic, "new"u8.ToArray(), Token);

        Assert.Equal(["new"], await received.WaitForCountAsync(1));
        await Task.Delay(200, Token);
        Assert.Equal(1, received.Count);
    }

    [Fact]
    public async Task Handler_Throws_FailureIsCountedAndNextMessageDelivered()
    {
        var topic = NewTopic();
        var logs = new CapturingLoggerFactory();
        var subscriber = Connect(o => o.LoggerFactory = logs);
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(
            topic,
            async (m, _) =>
            {
                var text = Encoding.UTF8.GetString(m.Body.Span);
                received.Add(text);
                await Task.Yield();
                if (text == "bad")
                {
                    throw new InvalidOperationException("handler failure");
                }
            },
            Token);
        var publisher = Connect();
        await publisher.PublishAsync(topic, "bad"u8.ToArray(), Token);
        await publisher.PublishAsync(topic, "good"u8.ToArray(), Token);

        Assert.Equal(["bad", "good"], await received.WaitForCountAsync(2));
        Assert.Equal(1, subscriber.HandlerFailureCount);
        Assert.Equal(0, subscriber.DroppedCount);
        Assert.True(subscriber.IsConnected);
        var entry = Assert.Single(logs.WithId(HydrateEventId.SubscriptionHandlerFailed));
        Assert.Contains(topic, entry.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task SlowHandler_TinyBuffer_ConsumerWaitsAndNothingIsLost()
    {
        const int count = 40;
        var topic = NewTopic();
        var logs = new CapturingLoggerFactory();
        var subscriber = Connect(o =>
        {
            o.LoggerFactory = logs;
            o.SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1, OverflowPolicy = TransportOverflowPolicy.Wait };
        });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<(int Value, long LostBefore)>();
        var subscription = (KafkaSubscription)await subscriber.SubscribeAsync(
            topic,
            async (m, ct) =>
            {
                received.Add((int.Parse(Encoding.UTF8.GetString(m.Body.Span), CultureInfo.InvariantCulture), m.LostBefore));
                await gate.Task.WaitAsync(ct);
                await Task.Delay(5, ct);
            },
            Token);

        // Not frames: every message goes to partition 0, so they keep their order.
        var publisher = Connect();
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(topic, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)), Token);
        }

        // Everything is on the broker; the handler holds message 0, message 1 fills the buffer, the consumer waits with 2.
        await received.WaitForCountAsync(1);
        await Eventually.TrueAsync(() => subscription.Pump!.BufferedCount == 1, $"the buffer filled up ({subscription.Pump!.BufferedCount} buffered, {received.Count} received, {subscription.Pump.DeliveredCount} delivered)");
        await Task.Delay(300, Token);
        Assert.Equal(1, received.Count);
        Assert.Equal(1, subscription.Pump!.BufferedCount);

        gate.SetResult();
        var items = await received.WaitForCountAsync(count);
        Assert.Equal(Enumerable.Range(0, count), items.Select(i => i.Value));
        Assert.All(items, i => Assert.Equal(0, i.LostBefore));
        Assert.Equal(0, subscription.Pump.LostCount);
        Assert.Equal(0, subscriber.DroppedCount);
        Assert.False(logs.Contains(HydrateEventId.SubscriptionMessagesLost));
    }

    [Fact]
    public async Task ConsumerWaitingForRoom_NewPartitionsAssignedAndDisposeReturns()
    {
        var topic = NewTopic();
        var subscriber = Connect(o => o.SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1, OverflowPolicy = TransportOverflowPolicy.Wait });
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = (KafkaSubscription)await subscriber.SubscribeAsync(
            topic,
            async (_, ct) =>
            {
                entered.TrySetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            },
            Token);
        var publisher = Connect();
        for (var i = 0; i < 5; i++)
        {
            await publisher.PublishAsync(topic, "x"u8.ToArray(), Token);
        }

        await entered.Task.WaitAsync(TimeSpan.FromSeconds(15), Token);
        await Eventually.TrueAsync(() => subscription.Pump!.BufferedCount == 1, "the buffer filled up");

        // Partition discovery still reaches the consume thread while it waits for room.
        var partitions = subscription.PartitionCount;
        subscription.OfferPartitions([.. Enumerable.Range(0, partitions + 1)]);
        await Eventually.TrueAsync(() => subscription.PartitionCount == partitions + 1, "the offered partition was assigned");

        // Disposing stops the handler and the waiting consume thread.
        await subscription.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(0, subscriber.DroppedCount);
    }

    [Fact]
    public async Task Subscription_DisposedFromItsOwnHandler_DoesNotDeadlock()
    {
        var topic = NewTopic();
        var received = new MessageCollector<string>();
        ITransportSubscription? subscription = null;
        subscription = await Connect().SubscribeAsync(
            topic,
            async (m, _) =>
            {
                received.Add(Encoding.UTF8.GetString(m.Body.Span));
                await subscription!.DisposeAsync();
            },
            Token);
        var publisher = Connect();
        await publisher.PublishAsync(topic, "first"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);
        await publisher.PublishAsync(topic, "second"u8.ToArray(), Token);
        await Task.Delay(300, Token);
        Assert.Equal(["first"], received.Items);
    }

    private static string Endpoint => TestServers.RequireEndpoint(TestServers.Kafka);

    private static string NewTopic() => $"hc-{Guid.NewGuid():N}";

    private static HydrateChannel<string> NewChannel(ITransport transport, string name) =>
        new(transport, name, new HydrateChannelOptions<string>().WithCodec("utf8", Encoding.UTF8.GetBytes, m => Encoding.UTF8.GetString(m.Span)));

    private KafkaTransport Connect(Action<KafkaTransportOptions>? configure = null)
    {
        var options = new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = Endpoint };
        configure?.Invoke(options);
        var transport = new KafkaTransport(options);
        _transports.Add(transport);
        return transport;
    }
}
