using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using HydrateCache.TestKit;
using StackExchange.Redis;

namespace HydrateCache.Redis.Tests;

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Transport")]
public sealed class RedisTransportTests : IAsyncLifetime
{
    private readonly AsyncDisposables _cleanup = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string NewTopic(string hint = "t") => $"hc-{hint}-{Guid.NewGuid():N}";

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Transports first, then the multiplexers they used (registered before them).
        await _cleanup.DisposeAsync();
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(RedisProtocol protocol = RedisProtocol.Resp2, string? clientName = null, bool allowAdmin = false)
    {
        var multiplexer = await RedisTestServer.ConnectAsync(protocol, clientName, allowAdmin);
        _cleanup.Add(multiplexer);
        return multiplexer;
    }

    private RedisTransport Track(RedisTransport transport)
    {
        _cleanup.Add(transport);
        return transport;
    }

    private async Task<RedisTransport> NewTransportAsync(RedisProtocol protocol = RedisProtocol.Resp2, RedisTransportOptions? options = null) =>
        Track(new RedisTransport(await ConnectAsync(protocol), options));

    private static async Task<MessageCollector<string>> CollectAsync(ITransport transport, string topic)
    {
        var received = new MessageCollector<string>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(Encoding.UTF8.GetString(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        return received;
    }

    [Fact]
    public async Task RedisTransport_Dispose_DoesNotDisposeSharedMultiplexer()
    {
        var multiplexer = await ConnectAsync();
        var topic = NewTopic("shared");
        var transport = new RedisTransport(multiplexer);
        await CollectAsync(transport, topic);

        await transport.DisposeAsync();

        Assert.True(multiplexer.IsConnected);
        await multiplexer.GetDatabase().PingAsync();
        var other = Track(new RedisTransport(multiplexer));
        var received = await CollectAsync(other, topic);
        await other.PublishAsync(topic, "still works"u8.ToArray(), Token);
        Assert.Equal(["still works"], await received.WaitForCountAsync(1));
    }

    [Fact]
    public async Task Dispose_TransportWithSubscriptions_UnsubscribesOnlyItsOwnChannels()
    {
        var multiplexer = await ConnectAsync();
        var topic = NewTopic("own");
        var first = new RedisTransport(multiplexer);
        var second = Track(new RedisTransport(multiplexer));
        var firstReceived = await CollectAsync(first, topic);
        var secondReceived = await CollectAsync(second, topic);

        await first.DisposeAsync();
        await second.PublishAsync(topic, "after"u8.ToArray(), Token);

        Assert.Equal(["after"], await secondReceived.WaitForCountAsync(1));
        await Task.Delay(100, Token);
        Assert.Equal(0, firstReceived.Count);
    }

    [Theory]
    [InlineData("*", "anything")]
    [InlineData("?", "x")]
    [InlineData("[ab]", "a")]
    [InlineData("h*llo", "hello")]
    [InlineData("[^a]", "b")]
    public async Task Subscribe_ChannelWithGlobCharacters_IsLiteralAndMatchesNoOtherChannel(string glob, string wouldMatch)
    {
        var stem = NewTopic("glob");
        var transport = await NewTransportAsync();
        var received = await CollectAsync(transport, $"{stem}-{glob}");
        var publisher = await NewTransportAsync();

        await publisher.PublishAsync($"{stem}-{wouldMatch}", "other"u8.ToArray(), Token);
        await publisher.PublishAsync($"{stem}-{glob}", "exact"u8.ToArray(), Token);

        Assert.Equal(["exact"], await received.WaitForCountAsync(1));
        await Task.Delay(100, Token);
        Assert.Equal(["exact"], received.Items);
    }

    [Fact]
    public async Task Publish_TopicWithGlobCharacters_GoesToTheLiteralChannel()
    {
        // The channel name is passed through unchanged (no escaping, no pattern): a raw literal subscriber sees the message.
        var multiplexer = await ConnectAsync();
        var topic = NewTopic("literal") + "-*";
        var raw = new MessageCollector<string>();
        var queue = await multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(topic));
        queue.OnMessage(m => raw.Add((string)m.Message!));
        var publisher = await NewTransportAsync();

        await publisher.PublishAsync(topic, "to-literal"u8.ToArray(), Token);

        Assert.Equal(["to-literal"], await raw.WaitForCountAsync(1));
        await queue.UnsubscribeAsync();
    }

    [Fact]
    public async Task TopicPrefix_Set_IsPrependedToTheRedisChannelAndStrippedFromReceivedTopics()
    {
        var prefix = $"hc-prefix-{Guid.NewGuid():N}:";
        var topic = "prices";
        var multiplexer = await ConnectAsync();
        var transport = Track(new RedisTransport(multiplexer, new RedisTransportOptions { TopicPrefix = prefix }));
        var topics = new MessageCollector<string>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            topics.Add(m.Topic + "=" + Encoding.UTF8.GetString(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        var raw = new MessageCollector<string>();
        var queue = await multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(prefix + topic));
        queue.OnMessage(m => raw.Add((string)m.Message!));
        var unprefixed = await CollectAsync(await NewTransportAsync(), topic);

        await transport.PublishAsync(topic, "from-transport"u8.ToArray(), Token);
        await multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal(prefix + topic), "from-raw");

        Assert.Equal(["from-transport", "from-raw"], await raw.WaitForCountAsync(2));
        Assert.Equal(["prices=from-transport", "prices=from-raw"], await topics.WaitForCountAsync(2));
        Assert.Equal(0, unprefixed.Count);
        await queue.UnsubscribeAsync();
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task Connect_Protocol_IsNegotiatedAndTransportWorks(RedisProtocol protocol)
    {
        var multiplexer = await ConnectAsync(protocol);
        Assert.Equal(protocol, multiplexer.GetServer(multiplexer.GetEndPoints()[0]).Protocol);
        var transport = Track(new RedisTransport(multiplexer));
        var topic = NewTopic("proto");
        var received = await CollectAsync(transport, topic);

        await transport.PublishAsync(topic, "123"u8.ToArray(), Token);
        await transport.PublishAsync(topic, ReadOnlyMemory<byte>.Empty, Token);

        Assert.Equal(["123", ""], await received.WaitForCountAsync(2));
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task ConnectionKilled_SubscriptionResumesAndConnectionChangedReportsTheGap(RedisProtocol protocol)
    {
        var clientName = $"hc-kill-{Guid.NewGuid():N}";
        var subscriberMultiplexer = await ConnectAsync(protocol, clientName);
        var logs = new CapturingLoggerFactory();
        var diag = new ConcurrentQueue<string>();
        subscriberMultiplexer.ConnectionFailed += (_, e) => diag.Enqueue($"{DateTime.UtcNow:ss.fff} failed {e.ConnectionType} {e}");
        subscriberMultiplexer.ConnectionRestored += (_, e) => diag.Enqueue($"{DateTime.UtcNow:ss.fff} restored {e.ConnectionType} {e}");
        var subscriber = Track(new RedisTransport(subscriberMultiplexer, new RedisTransportOptions { LoggerFactory = logs }));
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = NewTopic("kill");
        var received = await CollectAsync(subscriber, topic);
        var admin = await ConnectAsync(allowAdmin: true);
        var publisher = Track(new RedisTransport(admin));
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);
        Assert.True(subscriber.IsConnected);

        Assert.True(await RedisTestServer.KillClientAsync(admin, clientName) > 0);

        await Eventually.TrueAsync(() => events.Contains(false) && events.Contains(true), "the transport reported the disconnect and the reconnect", TimeSpan.FromSeconds(30));
        await Task.Delay(200, Token);
        Assert.True(events.ToArray() is [false, true], $"{string.Join(",", events)}: {string.Join(" | ", diag)} || {string.Join(" | ", logs.Entries.Select(e => e.Message))}");
        Assert.True(subscriber.IsConnected);
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal(["before", "after"], await received.WaitForCountAsync(2));
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task Subscriber_CutOffByServerOutputBufferLimit_ReportsGapAndResumes(RedisProtocol protocol)
    {
        // Redis disconnects a subscriber whose unsent output exceeds client-output-buffer-limit pubsub (32 MB by default,
        // which is why MaxMessageBytes defaults to 4 MiB). A limit below one message makes that deterministic here.
        var admin = await ConnectAsync(allowAdmin: true);
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var original = (await server.ConfigGetAsync("client-output-buffer-limit")).Single().Value;
        var logs = new CapturingLoggerFactory();
        var subscriber = Track(new RedisTransport(await ConnectAsync(protocol), new RedisTransportOptions { LoggerFactory = logs }));
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var topic = NewTopic("cut-off");
        var received = new MessageCollector<int>();
        await subscriber.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Body.Length);
            return ValueTask.CompletedTask;
        }, Token);
        var publisher = Track(new RedisTransport(admin));

        await server.ConfigSetAsync("client-output-buffer-limit", "pubsub 1048576 0 0");
        try
        {
            await publisher.PublishAsync(topic, new byte[2 * 1024 * 1024], Token);
            await Eventually.TrueAsync(() => events.Contains(false), "the cut-off was reported");
        }
        finally
        {
            await server.ConfigSetAsync("client-output-buffer-limit", original);
        }

        await Eventually.TrueAsync(() => events.Contains(true), "the subscriber came back by itself");
        await publisher.PublishAsync(topic, "small"u8.ToArray(), Token);
        Assert.Equal([5], await received.WaitForCountAsync(1));
        Assert.Equal([false, true], events.ToArray());
        Assert.True(logs.Contains(HydrateEventId.RedisConnectionLost) || logs.Contains(HydrateEventId.RedisReconnectedWithoutFailureReport));
        Assert.True(logs.Contains(HydrateEventId.RedisConnectionRestored));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Publish_ServerUnreachable_ThrowsTransientTransportExceptionWithinTimeout(bool silent)
    {
        var (multiplexer, listener) = await RedisTestServer.ConnectUnreachableAsync(silent);
        using var _ = listener;
        _cleanup.Add(multiplexer);
        var transport = Track(new RedisTransport(multiplexer));
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RedisTransportException>(async () => await transport.PublishAsync(NewTopic("down"), "x"u8.ToArray(), Token));

        Assert.True(ex.IsTransient);
        Assert.NotNull(ex.InnerException);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Subscribe_ServerUnreachable_ThrowsTransientTransportExceptionWithinTimeout(bool silent)
    {
        var (multiplexer, listener) = await RedisTestServer.ConnectUnreachableAsync(silent);
        using var _ = listener;
        _cleanup.Add(multiplexer);
        var logs = new CapturingLoggerFactory();
        var transport = Track(new RedisTransport(multiplexer, new RedisTransportOptions { LoggerFactory = logs }));
        var stopwatch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<RedisTransportException>(
            async () => await transport.SubscribeAsync(NewTopic("down"), (_, _) => ValueTask.CompletedTask, Token));

        Assert.True(ex.IsTransient);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
        Assert.True(logs.Contains(HydrateEventId.RedisSubscribeFailed));
    }

    [Fact]
    public async Task Publish_Cancelled_ThrowsOperationCanceled()
    {
        var transport = await NewTransportAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await transport.PublishAsync(NewTopic(), "x"u8.ToArray(), cts.Token));
    }

    [Fact]
    public async Task Handler_Throws_IsCountedAndLogged()
    {
        var logs = new CapturingLoggerFactory();
        var transport = await NewTransportAsync(options: new RedisTransportOptions { LoggerFactory = logs });
        var topic = NewTopic("throws");
        var received = new MessageCollector<string>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            var text = Encoding.UTF8.GetString(m.Body.Span);
            received.Add(text);
            return text == "bad" ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        }, Token);

        await transport.PublishAsync(topic, "bad"u8.ToArray(), Token);
        await transport.PublishAsync(topic, "good"u8.ToArray(), Token);

        Assert.Equal(["bad", "good"], await received.WaitForCountAsync(2));
        Assert.Equal(1, transport.HandlerFailureCount);
        Assert.Contains(logs.Entries, e => e.EventId == HydrateEventId.SubscriptionHandlerFailed && e.Message.Contains(topic, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlowHandler_BufferFull_DropsOldestCountsLogsAndReportsInBand()
    {
        const int published = 20;
        var logs = new CapturingLoggerFactory();
        var transport = await NewTransportAsync(options: new RedisTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 4 },
            LoggerFactory = logs,
        });
        var topic = NewTopic("drops");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<(int Sequence, long LostBefore)>();
        await transport.SubscribeAsync(topic, async (m, _) =>
        {
            received.Add((BitConverter.ToInt32(m.Body.Span), m.LostBefore));
            entered.TrySetResult();
            await gate.Task;
        }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, BitConverter.GetBytes(0), Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);

        for (var i = 1; i < published; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        // The handler holds message 0; 4 of the other 19 fit in the buffer, the 15 oldest are dropped.
        await Eventually.TrueAsync(() => transport.DroppedCount == 15, "15 messages were dropped");
        gate.SetResult();
        Assert.Equal([(0, 0), (16, 15), (17, 0), (18, 0), (19, 0)], await received.WaitForCountAsync(5));
        await Task.Delay(100, Token);
        Assert.Equal(5, received.Count);
        Assert.Equal(published - received.Count, transport.DroppedCount);
        Assert.Equal(transport.DroppedCount, received.Items.Sum(m => m.LostBefore));
        Assert.Equal(1, logs.Count(HydrateEventId.SubscriptionMessagesLost));
    }

    [Fact]
    public async Task SlowHandler_WaitPolicy_LosesNothing()
    {
        const int published = 20;
        var transport = await NewTransportAsync(options: new RedisTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 4, OverflowPolicy = TransportOverflowPolicy.Wait },
        });
        var topic = NewTopic("wait");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<int>();
        await transport.SubscribeAsync(topic, async (m, _) =>
        {
            received.Add(BitConverter.ToInt32(m.Body.Span));
            await gate.Task;
        }, Token);
        var publisher = await NewTransportAsync();

        for (var i = 0; i < published; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        await Task.Delay(100, Token);
        gate.SetResult();
        Assert.Equal(Enumerable.Range(0, published), await received.WaitForCountAsync(published));
        Assert.Equal(0, transport.DroppedCount);
    }

    [Fact]
    public async Task Channel_SlowSubscriberOverRedis_CountsTransportLossInStatistics()
    {
        var subscriberTransport = await NewTransportAsync(options: new RedisTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1 },
        });
        await ChannelLossScenario.AssertLossCountedAsync(await NewTransportAsync(), subscriberTransport, NewTopic("channel"), () => subscriberTransport.DroppedCount);
    }

    [Fact]
    public async Task Subscribe_TwiceToOneTopicOnOneTransport_BothReceiveAndDisposingOneKeepsTheOther()
    {
        var transport = await NewTransportAsync();
        var topic = NewTopic("twice");
        var first = new MessageCollector<string>();
        var firstSubscription = await transport.SubscribeAsync(topic, (m, _) =>
        {
            first.Add(Encoding.UTF8.GetString(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        var second = await CollectAsync(transport, topic);

        await transport.PublishAsync(topic, "one"u8.ToArray(), Token);
        Assert.Equal(["one"], await first.WaitForCountAsync(1));
        await firstSubscription.DisposeAsync();
        await transport.PublishAsync(topic, "two"u8.ToArray(), Token);

        Assert.Equal(["one", "two"], await second.WaitForCountAsync(2));
        await Task.Delay(100, Token);
        Assert.Equal(["one"], first.Items);
    }

    [Fact]
    public async Task Dispose_SubscriptionFromInsideItsHandler_DoesNotDeadlock()
    {
        var transport = await NewTransportAsync();
        var topic = NewTopic("self-dispose");
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ITransportSubscription? subscription = null;
        subscription = await transport.SubscribeAsync(topic, async (_, _) =>
        {
            await subscription!.DisposeAsync();
            disposed.TrySetResult();
        }, Token);

        await transport.PublishAsync(topic, "x"u8.ToArray(), Token);

        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    [Fact]
    public async Task Dispose_Transport_LaterCallsThrowObjectDisposedAndDisposeIsIdempotent()
    {
        var transport = new RedisTransport(await ConnectAsync());
        await transport.DisposeAsync();
        await transport.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.PublishAsync("t", "x"u8.ToArray(), Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.SubscribeAsync("t", (_, _) => ValueTask.CompletedTask, Token));
    }

    [Fact]
    public async Task Publish_FireAndForgetFlags_CallerMayReuseBufferAndMessageArrives()
    {
        var transport = await NewTransportAsync(options: new RedisTransportOptions { PublishFlags = CommandFlags.FireAndForget });
        var topic = NewTopic("ff");
        var received = await CollectAsync(await NewTransportAsync(), topic);
        var buffer = "first"u8.ToArray();

        await transport.PublishAsync(topic, buffer, CancellationToken.None);
        "XXXXX"u8.CopyTo(buffer);

        Assert.Equal(["first"], await received.WaitForCountAsync(1));
    }

    [Fact]
    public async Task Publish_OverMaxMessageBytes_ThrowsBeforeSending()
    {
        var transport = await NewTransportAsync(options: new RedisTransportOptions { MaxMessageBytes = 10 });
        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await transport.PublishAsync(NewTopic(), new byte[11], Token));
        Assert.Equal(11, ex.Size);
        Assert.Equal(10, ex.Limit);
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new RedisTransportOptions();
        Assert.Null(options.TopicPrefix);
        Assert.Equal(4 * 1024 * 1024, options.MaxMessageBytes);
        Assert.Equal(65_536, options.SubscriptionBuffer.MaxMessages);
        Assert.Equal(64L * 1024 * 1024, options.SubscriptionBuffer.MaxBytes);
        Assert.Equal(TransportOverflowPolicy.DropOldest, options.SubscriptionBuffer.OverflowPolicy);
        Assert.Equal(CommandFlags.None, options.PublishFlags);
        Assert.Null(options.LoggerFactory);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(RedisTransportOptions.MaxMessageBytesLimit + 1, 1)]
    [InlineData(1024, 0)]
    public async Task Constructor_OptionOutOfRange_Throws(int maxMessageBytes, int maxBufferedMessages)
    {
        var (multiplexer, listener) = await RedisTestServer.ConnectUnreachableAsync(silent: false);
        using var _ = listener;
        _cleanup.Add(multiplexer);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RedisTransport(
            multiplexer,
            new RedisTransportOptions
            {
                MaxMessageBytes = maxMessageBytes,
                SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = maxBufferedMessages },
            }));
        Assert.Throws<ArgumentNullException>(() => new RedisTransport(multiplexer, new RedisTransportOptions { SubscriptionBuffer = null! }));
    }

    [Theory]
    [InlineData("Subscription#12@127.0.0.1:6379 (Idle)", 12)]
    [InlineData("Interactive#3@redis.example.com:6380 (Writing)", 3)]
    [InlineData("Subscription@127.0.0.1:6379", -1)]
    [InlineData("#x@", -1)]
    [InlineData("", -1)]
    [InlineData(null, -1)]
    public void ParseConnectionId_PhysicalConnectionName_ReturnsNumberOrMinusOne(string? name, long expected) =>
        Assert.Equal(expected, RedisTransport.ParseConnectionId(name));

    [Fact]
    public void Constructor_NullMultiplexer_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new RedisTransport(null!));
}
