using System.Text;

namespace HydrateCache.TestKit;

/// <summary>
/// The behaviour every <see cref="ITransport"/> must have. Each transport's test project derives a class from this one
/// and supplies connections to a real server; the in-memory transport's tests derive from it too.
/// </summary>
public abstract class TransportConformanceTests : IAsyncLifetime
{
    private readonly List<ITransport> _transports = [];

    /// <summary>Gets the largest message the transport documents it accepts.</summary>
    protected abstract int MaxMessageBytes { get; }

    /// <summary>Opens a new client of the transport (a separate connection where the transport has connections).</summary>
    protected abstract ValueTask<ITransport> ConnectAsync();

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected async ValueTask<ITransport> NewTransportAsync()
    {
        var transport = await ConnectAsync();
        if (!_transports.Contains(transport))
        {
            _transports.Add(transport);
        }

        return transport;
    }

    protected static string NewTopic(string hint = "t") => $"hc-conf-{hint}-{Guid.NewGuid():N}";

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var transport in _transports)
        {
            await transport.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    private static async Task<(ITransportSubscription Subscription, MessageCollector<byte[]> Received)> CollectAsync(ITransport transport, string topic)
    {
        var received = new MessageCollector<byte[]>();
        var subscription = await transport.SubscribeAsync(
            topic,
            (message, _) =>
            {
                received.Add(message.Body.ToArray());
                return ValueTask.CompletedTask;
            },
            Token);
        return (subscription, received);
    }

    [Fact]
    public async Task Publish_ThreeSubscribers_EachReceivesEveryMessage()
    {
        var topic = NewTopic("broadcast");
        var publisher = await NewTransportAsync();
        var subscribers = new List<MessageCollector<byte[]>>();
        for (var i = 0; i < 3; i++)
        {
            subscribers.Add((await CollectAsync(await NewTransportAsync(), topic)).Received);
        }

        for (var i = 0; i < 50; i++)
        {
            await publisher.PublishAsync(topic, Encoding.UTF8.GetBytes($"m{i}"), Token);
        }

        foreach (var subscriber in subscribers)
        {
            var items = await subscriber.WaitForCountAsync(50);
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), items.Select(b => Encoding.UTF8.GetString(b)));
        }
    }

    [Fact]
    public async Task Publish_ManyMessagesFromOnePublisher_ArriveInOrder()
    {
        var topic = NewTopic("order");
        var (_, received) = await CollectAsync(await NewTransportAsync(), topic);
        var publisher = await NewTransportAsync();
        const int count = 2000;
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        var items = await received.WaitForCountAsync(count);
        Assert.Equal(Enumerable.Range(0, count), items.Select(b => BitConverter.ToInt32(b)));
    }

    [Fact]
    public async Task Publish_EveryByteValue_ArrivesUnchanged()
    {
        var topic = NewTopic("binary");
        var (_, received) = await CollectAsync(await NewTransportAsync(), topic);
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Enumerable.Range(0, 256).Select(i => (byte)(255 - i))).ToArray();
        await (await NewTransportAsync()).PublishAsync(topic, payload, Token);
        Assert.Equal(payload, (await received.WaitForCountAsync(1))[0]);
    }

    [Fact]
    public async Task Publish_PayloadAtDocumentedLimit_Arrives()
    {
        var topic = NewTopic("large");
        var (_, received) = await CollectAsync(await NewTransportAsync(), topic);
        var payload = new byte[MaxMessageBytes];
        new Random(7).NextBytes(payload);
        await (await NewTransportAsync()).PublishAsync(topic, payload, Token);
        Assert.Equal(payload, (await received.WaitForCountAsync(1))[0]);
    }

    [Fact]
    public async Task Publish_PayloadOverLimit_ThrowsTypedExceptionNamingSizes()
    {
        var transport = await NewTransportAsync();
        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(
            async () => await transport.PublishAsync(NewTopic("too-large"), new byte[MaxMessageBytes + 1], Token));
        Assert.Equal(MaxMessageBytes + 1, ex.Size);
        Assert.Equal(MaxMessageBytes, ex.Limit);
        Assert.Contains((MaxMessageBytes + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_TwoTopics_NoCrossTalk()
    {
        var topicA = NewTopic("a-ключ");
        var topicB = NewTopic("b-ключ");
        var subscriber = await NewTransportAsync();
        var (_, receivedA) = await CollectAsync(subscriber, topicA);
        var (_, receivedB) = await CollectAsync(subscriber, topicB);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topicA, "to-a"u8.ToArray(), Token);
        await publisher.PublishAsync(topicB, "to-b"u8.ToArray(), Token);
        await publisher.PublishAsync(topicA, "to-a-2"u8.ToArray(), Token);

        Assert.Equal(["to-a", "to-a-2"], (await receivedA.WaitForCountAsync(2)).Select(b => Encoding.UTF8.GetString(b)));
        Assert.Equal(["to-b"], (await receivedB.WaitForCountAsync(1)).Select(b => Encoding.UTF8.GetString(b)));
        await Task.Delay(100, Token);
        Assert.Equal(2, receivedA.Count);
        Assert.Equal(1, receivedB.Count);
    }

    [Fact]
    public async Task Unsubscribe_ThenPublish_NothingMoreDelivered()
    {
        var topic = NewTopic("unsub");
        var (subscription, received) = await CollectAsync(await NewTransportAsync(), topic);
        var (_, witness) = await CollectAsync(await NewTransportAsync(), topic);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        await subscription.DisposeAsync();
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        await witness.WaitForCountAsync(2);
        await Task.Delay(100, Token);
        Assert.Equal(1, received.Count);
        Assert.Equal(topic, subscription.Topic);
    }

    [Fact]
    public async Task Handler_Throws_SubscriptionKeepsReceiving()
    {
        var topic = NewTopic("throws");
        var received = new MessageCollector<string>();
        await (await NewTransportAsync()).SubscribeAsync(
            topic,
            (message, _) =>
            {
                var text = Encoding.UTF8.GetString(message.Body.Span);
                received.Add(text);
                return text == "bad" ? throw new InvalidOperationException("handler failure") : ValueTask.CompletedTask;
            },
            Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, "bad"u8.ToArray(), Token);
        await publisher.PublishAsync(topic, "good"u8.ToArray(), Token);
        Assert.Equal(["bad", "good"], await received.WaitForCountAsync(2));
    }

    [Fact]
    public async Task Handler_SlowHandler_NeverRunsConcurrently()
    {
        var topic = NewTopic("serial");
        var active = 0;
        var maxActive = 0;
        var received = new MessageCollector<int>();
        await (await NewTransportAsync()).SubscribeAsync(
            topic,
            async (message, ct) =>
            {
                var now = Interlocked.Increment(ref active);
                InterlockedMax(ref maxActive, now);
                await Task.Delay(1, ct);
                Interlocked.Decrement(ref active);
                received.Add(BitConverter.ToInt32(message.Body.Span));
            },
            Token);
        var publisher = await NewTransportAsync();
        for (var i = 0; i < 50; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        Assert.Equal(Enumerable.Range(0, 50), await received.WaitForCountAsync(50));
        Assert.Equal(1, maxActive);
    }

    [Fact]
    public async Task Dispose_WhileMessagesInFlight_CompletesCleanly()
    {
        var topic = NewTopic("dispose");
        var subscriberTransport = await ConnectAsync();
        var received = new MessageCollector<int>();
        await subscriberTransport.SubscribeAsync(
            topic,
            async (message, ct) =>
            {
                await Task.Yield();
                received.Add(1);
            },
            Token);
        var publisher = await NewTransportAsync();
        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
                {
                    await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
                }
            }
            catch (ObjectDisposedException) when (ReferenceEquals(publisher, subscriberTransport))
            {
                // A single-instance bus (in-memory) is disposed for publishers too.
            }
        }, Token);
        await received.WaitForCountAsync(1);

        var disposing = subscriberTransport.DisposeAsync().AsTask();
        var finished = await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(10), Token));
        Assert.Same(disposing, finished);
        await disposing;
        await stop.CancelAsync();
        await publishing;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
