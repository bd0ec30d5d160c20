using System.Buffers.Binary;
using System.Collections.Concurrent;
using HydrateCache.TestKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;

namespace HydrateCache.Nats;

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Transport")]
public class NatsTransportTests : IAsyncLifetime
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

    private async Task<NatsConnection> ConnectAsync(string name = "hydratecache-tests")
    {
        var connection = await NatsTestServer.ConnectAsync(name);
        _cleanup.Add(connection);
        return connection;
    }

    private NatsTransport Track(NatsTransport transport)
    {
        _cleanup.Add(transport);
        return transport;
    }

    private async Task<NatsTransport> NewTransportAsync(NatsTransportOptions? options = null) =>
        Track(new NatsTransport(await ConnectAsync(), options));

    private static byte[] Sequence(int i, int size = 4)
    {
        var bytes = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, i);
        return bytes;
    }

    // ---- drops: counted, never silent ----

    [Fact]
    public async Task Flood_GatedSubscriberWithSmallBuffer_DroppedCountIsPublishedMinusReceivedAndReportedInBand()
    {
        const int capacity = 64;
        const int published = 5_000;
        var logs = new CapturingLoggerFactory();

        // A clock that never moves: the loss log is rate limited to exactly one line.
        var subscriber = Track(new NatsTransport(
            await ConnectAsync(),
            new NatsTransportOptions { SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = capacity }, LoggerFactory = logs },
            new FakeTimeProvider()));
        var publisher = await NewTransportAsync();
        var topic = NewTopic("flood");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<int>();
        long lostBefore = 0;
        await subscriber.SubscribeAsync(topic, async (m, ct) =>
        {
            Interlocked.Add(ref lostBefore, m.LostBefore);
            var sequence = BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span);
            await gate.Task.WaitAsync(ct);
            received.Add(sequence);
        }, Token);

        for (var i = 0; i < published; i++)
        {
            await publisher.PublishAsync(topic, Sequence(i, 64), Token);
        }

        // The handler holds the first message; the buffer keeps `capacity` more; every other one is dropped and counted.
        await Eventually.TrueAsync(() => subscriber.DroppedCount == published - capacity - 1, $"DroppedCount reached {published - capacity - 1} (is {subscriber.DroppedCount})");
        gate.SetResult();
        var items = await received.WaitForCountAsync(capacity + 1);
        await Task.Delay(200, Token);

        Assert.Equal(published - received.Count, subscriber.DroppedCount);
        Assert.Equal(capacity + 1, received.Count);
        Assert.Equal(subscriber.DroppedCount, Interlocked.Read(ref lostBefore));

        // DropOldest: the handler holds one early message (which one depends on when the pump first ran); the newest
        // `capacity` ones survive in the buffer, in order.
        Assert.InRange(items[0], 0, published - capacity - 1);
        Assert.Equal(Enumerable.Range(published - capacity, capacity), items.Skip(1));
        var lossLog = Assert.Single(logs.WithId(HydrateEventId.SubscriptionMessagesLost));
        Assert.Equal(LogLevel.Warning, lossLog.Level);
        Assert.Contains(topic, lossLog.Message, StringComparison.Ordinal);

        // Only the subscription's buffer overflowed: the read loop kept NATS.Net's client buffer empty.
        Assert.Equal(0, logs.Count(HydrateEventId.NatsSlowConsumer));
    }

    [Fact]
    public async Task Flood_WaitPolicyWithSmallClientBuffer_NatsNetDropsAreCountedAndReportedInBand()
    {
        const int bufferCapacity = 8;
        const int clientBufferCapacity = 16;
        const int published = 200;
        var logs = new CapturingLoggerFactory();

        // The pump waits for room, so the read loop stops and NATS.Net's own (tiny) client buffer drops its oldest.
        var subscriber = Track(new NatsTransport(
            await ConnectAsync(),
            new NatsTransportOptions
            {
                SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = bufferCapacity, OverflowPolicy = TransportOverflowPolicy.Wait },
                LoggerFactory = logs,
            },
            TimeProvider.System,
            clientBufferCapacity));
        var publisher = await NewTransportAsync();
        var topic = NewTopic("client-drops");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<int>();
        long lostBefore = 0;
        await subscriber.SubscribeAsync(topic, async (m, ct) =>
        {
            Interlocked.Add(ref lostBefore, m.LostBefore);
            if (m.IsLossNotice)
            {
                return;
            }

            var sequence = BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span);
            entered.TrySetResult();
            await gate.Task.WaitAsync(ct);
            received.Add(sequence);
        }, Token);

        // Message 0 reaching the handler proves the read loop runs: it keeps up until the pump is full, then waits.
        await publisher.PublishAsync(topic, Sequence(0), Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        for (var i = 1; i < published; i++)
        {
            await publisher.PublishAsync(topic, Sequence(i), Token);
        }

        // Kept at most: the one in the handler, a full pump buffer, the one the read loop waits to post, a full client
        // buffer. Fewer when the burst outruns the read loop before it filled the pump (then NATS.Net drops those too).
        const int keptAtMost = 1 + bufferCapacity + 1 + clientBufferCapacity;
        await Eventually.TrueAsync(() => subscriber.DroppedCount >= published - keptAtMost, $"at least {published - keptAtMost} messages were dropped");
        gate.SetResult();
        await Eventually.TrueAsync(() => received.Count + subscriber.DroppedCount == published, "every message was received or counted as dropped");
        await Task.Delay(200, Token);

        var items = received.Items;
        Assert.Equal(published - received.Count, subscriber.DroppedCount);
        Assert.InRange(received.Count, 1 + clientBufferCapacity, keptAtMost);
        Assert.Equal(subscriber.DroppedCount, Interlocked.Read(ref lostBefore));
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First < p.Second), "what survived arrived in publish order");
        Assert.Equal(0, items[0]);
        Assert.Equal(Enumerable.Range(published - clientBufferCapacity, clientBufferCapacity), items.TakeLast(clientBufferCapacity));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsSlowConsumer));
        Assert.Contains(logs.WithId(HydrateEventId.SubscriptionMessagesLost), e => e.Message.Contains("client library", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Channel_SlowSubscriberOverNats_CountsTransportLossInStatistics()
    {
        var subscriberTransport = await NewTransportAsync(new NatsTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1 },
        });
        await ChannelLossScenario.AssertLossCountedAsync(await NewTransportAsync(), subscriberTransport, NewTopic("channel"), () => subscriberTransport.DroppedCount);
    }

    [Fact]
    public async Task Flood_SlowHandlerWithSmallBuffer_EveryLostMessageIsCounted()
    {
        const int published = 20_000;
        var subscriber = Track(new NatsTransport(await ConnectAsync(), new NatsTransportOptions { SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 100 } }));
        var publisher = await NewTransportAsync();
        var topic = NewTopic("slow");
        var received = new ConcurrentQueue<int>();
        long lostBefore = 0;
        await subscriber.SubscribeAsync(topic, async (m, ct) =>
        {
            Interlocked.Add(ref lostBefore, m.LostBefore);
            if (m.IsLossNotice)
            {
                return;
            }

            received.Enqueue(BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span));
            if (received.Count % 50 == 0)
            {
                await Task.Delay(1, ct);
            }
        }, Token);

        for (var i = 0; i < published; i++)
        {
            await publisher.PublishAsync(topic, Sequence(i, 128), Token);
        }

        await Eventually.TrueAsync(
            () => received.Count + subscriber.DroppedCount == published,
            $"received + dropped = published (received {received.Count}, dropped {subscriber.DroppedCount})",
            TimeSpan.FromSeconds(60));
        await Task.Delay(200, Token);

        TestContext.Current.SendDiagnosticMessage($"slow handler, buffer of 100: published {published}, received {received.Count}, dropped {subscriber.DroppedCount}");
        Assert.Equal(published - received.Count, subscriber.DroppedCount);
        Assert.True(subscriber.DroppedCount > 0, "the flood was expected to overflow a 100-message buffer");
        var items = received.ToArray();
        Assert.True(items.Zip(items.Skip(1)).All(p => p.First < p.Second), "what survived arrived in publish order");
        await Eventually.TrueAsync(() => Interlocked.Read(ref lostBefore) == subscriber.DroppedCount, "every loss was reported in band");
    }

    [Fact]
    public async Task Burst_DefaultCapacity_FiftyThousandMessagesAllArrive()
    {
        const int published = 50_000;
        var subscriber = await NewTransportAsync();
        var publisher = await NewTransportAsync();
        var topic = NewTopic("burst");
        var next = 0;
        var outOfOrder = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await subscriber.SubscribeAsync(topic, (m, _) =>
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span) != next)
            {
                outOfOrder++;
            }

            if (++next == published)
            {
                done.SetResult();
            }

            return ValueTask.CompletedTask;
        }, Token);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < published; i++)
        {
            await publisher.PublishAsync(topic, Sequence(i, 100), Token);
        }

        var publishRate = published / watch.Elapsed.TotalSeconds;
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60), Token);
        TestContext.Current.SendDiagnosticMessage($"burst: {published} messages published at {publishRate:N0} msg/s, all received in {watch.Elapsed.TotalMilliseconds:N0} ms");
        Assert.Equal(0, subscriber.DroppedCount);
        Assert.Equal(0, outOfOrder);
    }

    [Fact]
    public async Task MessageDropped_OtherSubscriptionOnSharedConnection_NotCountedByTransport()
    {
        var connection = await ConnectAsync();
        var transport = Track(new NatsTransport(connection));
        var topic = NewTopic("shared");
        var received = new MessageCollector<int>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(1);
            return ValueTask.CompletedTask;
        }, Token);

        // Somebody else's subscription on the same connection, with a 1-message buffer nobody reads: it drops.
        var foreignDrops = 0;
        connection.MessageDropped += (_, _) =>
        {
            Interlocked.Increment(ref foreignDrops);
            return ValueTask.CompletedTask;
        };
        await using var foreign = await connection.SubscribeCoreAsync<byte[]>(
            topic,
            opts: new NatsSubOpts { ChannelOpts = new NatsSubChannelOpts { Capacity = 1, FullMode = System.Threading.Channels.BoundedChannelFullMode.DropNewest } },
            cancellationToken: Token);
        await connection.PingAsync(Token);

        var publisher = await NewTransportAsync();
        for (var i = 0; i < 100; i++)
        {
            await publisher.PublishAsync(topic, Sequence(i), Token);
        }

        await received.WaitForCountAsync(100);
        await Eventually.TrueAsync(() => Volatile.Read(ref foreignDrops) == 99, "the foreign subscription dropped 99 messages");
        Assert.Equal(0, transport.DroppedCount);
    }

    // ---- subjects ----

    [Theory]
    [InlineData("a b", "whitespace")]
    [InlineData("a\tb", "whitespace")]
    [InlineData("a\r\nPUB x 1", "whitespace")]
    [InlineData("a\0b", "control")]
    [InlineData("*", "wildcard")]
    [InlineData("prices.*", "wildcard")]
    [InlineData(">", "wildcard")]
    [InlineData("prices.>", "wildcard")]
    [InlineData("a*b", "wildcard")]
    [InlineData(".prices", "empty token")]
    [InlineData("prices.", "empty token")]
    [InlineData("a..b", "empty token")]
    [InlineData(".", "empty token")]
    public async Task Topic_InvalidSubject_ThrowsArgumentExceptionBeforeAnyIo(string topic, string reason)
    {
        await using var connection = NatsTestServer.Unconnected();
        await using var transport = new NatsTransport(connection);

        var publish = await Assert.ThrowsAsync<ArgumentException>(async () => await transport.PublishAsync(topic, new byte[] { 1 }, Token));
        var subscribe = await Assert.ThrowsAsync<ArgumentException>(async () => await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token));

        Assert.Equal("topic", publish.ParamName);
        Assert.Equal("topic", subscribe.ParamName);
        Assert.Contains(reason, publish.Message, StringComparison.Ordinal);
        Assert.Equal(NatsConnectionState.Closed, connection.ConnectionState);
    }

    [Fact]
    public async Task Topic_EmptyOrNull_ThrowsArgumentException()
    {
        await using var connection = NatsTestServer.Unconnected();
        await using var transport = new NatsTransport(connection);

        await Assert.ThrowsAsync<ArgumentException>(async () => await transport.PublishAsync(string.Empty, new byte[] { 1 }, Token));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await transport.PublishAsync(null!, new byte[] { 1 }, Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await transport.SubscribeAsync(string.Empty, (_, _) => ValueTask.CompletedTask, Token));
    }

    [Fact]
    public async Task Topic_LongerThanProtocolLine_ThrowsArgumentException()
    {
        await using var connection = NatsTestServer.Unconnected();
        await using var transport = new NatsTransport(connection);

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await transport.PublishAsync(new string('a', NatsSubject.MaxSubjectBytes + 1), new byte[] { 1 }, Token));
        Assert.Contains($"{NatsSubject.MaxSubjectBytes}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prices")]
    [InlineData("hydrate.prices.eu")]
    [InlineData("hc_prices-v2$x")]
    [InlineData("цены.ключ")]
    public async Task Topic_ValidSubject_RoundTrips(string name)
    {
        var topic = $"{name}.{Guid.NewGuid():N}";
        var subscriber = await NewTransportAsync();
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Topic);
            return ValueTask.CompletedTask;
        }, Token);

        await (await NewTransportAsync()).PublishAsync(topic, new byte[] { 42 }, Token);

        Assert.Equal([topic], await received.WaitForCountAsync(1));
    }

    [Theory]
    [InlineData("a b.")]
    [InlineData("hydrate.*.")]
    [InlineData(">")]
    [InlineData(".hydrate")]
    [InlineData("hydrate..")]
    public async Task TopicPrefix_Invalid_ConstructorThrowsArgumentException(string prefix)
    {
        await using var connection = NatsTestServer.Unconnected();

        var ex = Assert.Throws<ArgumentException>(() => new NatsTransport(connection, new NatsTransportOptions { TopicPrefix = prefix }));

        Assert.Contains("TopicPrefix", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopicPrefix_Set_SubjectIsPrefixPlusTopic()
    {
        var prefix = $"hc{Guid.NewGuid():N}.";
        var connection = await ConnectAsync();
        var transport = Track(new NatsTransport(connection, new NatsTransportOptions { TopicPrefix = prefix }));
        var received = new MessageCollector<string>();
        await transport.SubscribeAsync("prices", (m, _) =>
        {
            received.Add(m.Topic);
            return ValueTask.CompletedTask;
        }, Token);

        // A raw NATS publish to prefix + topic reaches the transport's subscription, which reports the topic name.
        await connection.PublishAsync(prefix + "prices", new byte[] { 1 }, cancellationToken: Token);

        Assert.Equal(["prices"], await received.WaitForCountAsync(1));
    }

    [Fact]
    public async Task Options_SubscriptionBufferOutOfRange_ConstructorThrows()
    {
        await using var connection = NatsTestServer.Unconnected();

        Assert.Throws<ArgumentOutOfRangeException>(() => new NatsTransport(connection, new NatsTransportOptions { SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NatsTransport(connection, new NatsTransportOptions { SubscriptionBuffer = new SubscriptionBufferOptions { MaxBytes = 0 } }));
        Assert.Throws<ArgumentNullException>(() => new NatsTransport(connection, new NatsTransportOptions { SubscriptionBuffer = null! }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NatsTransport(connection, new NatsTransportOptions { ResubscribeBackoff = new TransportBackoffOptions { InitialDelay = TimeSpan.Zero } }));
        Assert.Throws<ArgumentNullException>(() => new NatsTransport(connection, new NatsTransportOptions { ResubscribeBackoff = null! }));
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new NatsTransportOptions();

        Assert.Equal(string.Empty, options.TopicPrefix);
        Assert.Equal(65_536, options.SubscriptionBuffer.MaxMessages);
        Assert.Equal(64L * 1024 * 1024, options.SubscriptionBuffer.MaxBytes);
        Assert.Equal(TransportOverflowPolicy.DropOldest, options.SubscriptionBuffer.OverflowPolicy);
        Assert.Null(options.LoggerFactory);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ResubscribeBackoff.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ResubscribeBackoff.MaxDelay);
        Assert.Equal(64 * 1024, NatsTransport.ClientBufferCapacity);
    }

    // ---- size limit ----

    [Fact]
    public async Task Publish_OverMaxPayloadBeforeFirstConnect_ConnectsReadsLimitAndThrowsBeforeSending()
    {
        await using var connection = new NatsConnection(NatsTestServer.Options("hydratecache-lazy"));
        await using var transport = new NatsTransport(connection);
        Assert.Null(connection.ServerInfo);

        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await transport.PublishAsync(NewTopic("big"), new byte[2 * 1024 * 1024], Token));

        Assert.Equal(connection.ServerInfo!.MaxPayload, ex.Limit);
        Assert.Equal(2 * 1024 * 1024, ex.Size);
        Assert.Contains("max_payload", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_OverMaxPayload_ConnectionStaysHealthy()
    {
        var serverErrors = 0;
        var publisherConnection = await ConnectAsync();
        publisherConnection.ServerError += (_, _) =>
        {
            Interlocked.Increment(ref serverErrors);
            return ValueTask.CompletedTask;
        };
        var disconnects = 0;
        publisherConnection.ConnectionDisconnected += (_, _) =>
        {
            Interlocked.Increment(ref disconnects);
            return ValueTask.CompletedTask;
        };
        var publisher = Track(new NatsTransport(publisherConnection));
        var topic = NewTopic("limit");
        var received = new MessageCollector<int>();
        await (await NewTransportAsync()).SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Body.Length);
            return ValueTask.CompletedTask;
        }, Token);
        var limit = publisherConnection.ServerInfo!.MaxPayload;

        await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await publisher.PublishAsync(topic, new byte[limit + 1], Token));
        await publisher.PublishAsync(topic, new byte[limit], Token);
        await publisher.PublishAsync(topic, new byte[] { 1 }, Token);

        Assert.Equal([limit, 1], await received.WaitForCountAsync(2));
        Assert.Equal(0, Volatile.Read(ref serverErrors));
        Assert.Equal(0, Volatile.Read(ref disconnects));
    }

    // ---- connection ownership, state, dispose ----

    [Fact]
    public async Task Dispose_Transport_DoesNotDisposeUserConnection()
    {
        var connection = await ConnectAsync();
        var transport = new NatsTransport(connection);
        var topic = NewTopic("owner");
        await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token);
        await transport.PublishAsync(topic, new byte[] { 1 }, Token);

        await transport.DisposeAsync();
        await transport.DisposeAsync();

        Assert.Equal(NatsConnectionState.Open, connection.ConnectionState);
        await connection.PingAsync(Token);
        await using var raw = await connection.SubscribeCoreAsync<byte[]>(topic, cancellationToken: Token);
        await connection.PingAsync(Token);
        await connection.PublishAsync(topic, new byte[] { 7 }, cancellationToken: Token);
        var message = await raw.Msgs.ReadAsync(Token);
        Assert.Equal(new byte[] { 7 }, message.Data);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.PublishAsync(topic, new byte[] { 1 }, Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token));
    }

    [Fact]
    public async Task Dispose_AfterUserDisposedConnection_CompletesWithoutException()
    {
        var connection = await NatsTestServer.ConnectAsync();
        var logs = new CapturingLoggerFactory();
        var transport = new NatsTransport(connection, new NatsTransportOptions { LoggerFactory = logs });
        var topic = NewTopic("conn-gone");
        await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token);
        await transport.PublishAsync(topic, new byte[] { 1 }, Token);

        // Wrong order (the connection first), as a DI container may do at shutdown: still no exception, no hang.
        await connection.DisposeAsync();
        await transport.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        var ex = await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.PublishAsync(topic, new byte[] { 1 }, Token));
        Assert.Contains(nameof(NatsTransport), ex.ObjectName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_UserDisposedConnection_ThrowsNatsTransportException()
    {
        var connection = await NatsTestServer.ConnectAsync();
        var transport = Track(new NatsTransport(connection));
        await connection.DisposeAsync();

        var ex = await Assert.ThrowsAsync<NatsTransportException>(async () => await transport.PublishAsync(NewTopic("gone"), new byte[] { 1 }, Token));

        Assert.False(ex.IsTransient);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task Dispose_Transport_UnsubscribesFromServer()
    {
        var connection = await ConnectAsync();
        var transport = new NatsTransport(connection);
        var topic = NewTopic("unsub");
        var received = new MessageCollector<int>();
        await transport.SubscribeAsync(topic, (_, _) =>
        {
            received.Add(1);
            return ValueTask.CompletedTask;
        }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, new byte[] { 1 }, Token);
        await received.WaitForCountAsync(1);

        await transport.DisposeAsync();
        await connection.PingAsync(Token);
        await publisher.PublishAsync(topic, new byte[] { 2 }, Token);
        await Task.Delay(200, Token);

        Assert.Equal(1, received.Count);
    }

    [Fact]
    public async Task Dispose_SubscriptionFromInsideItsHandler_CompletesWithoutDeadlock()
    {
        var transport = await NewTransportAsync();
        var topic = NewTopic("self-dispose");
        ITransportSubscription? subscription = null;
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        subscription = await transport.SubscribeAsync(topic, async (_, _) =>
        {
            Interlocked.Increment(ref calls);
            await subscription!.DisposeAsync();
            disposed.TrySetResult();
        }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, new byte[] { 1 }, Token);
        await publisher.PublishAsync(topic, new byte[] { 2 }, Token);

        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await Task.Delay(100, Token);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Dispose_WhileHandlerRuns_HandlerSeesCancellationAndNothingEscapes()
    {
        var transport = await NewTransportAsync();
        var topic = NewTopic("cancel");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = false;
        await transport.SubscribeAsync(topic, async (_, ct) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
        }, Token);
        await (await NewTransportAsync()).PublishAsync(topic, new byte[] { 1 }, Token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);

        await transport.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.True(sawCancellation);
        Assert.Equal(0, transport.HandlerFailureCount);
    }

    [Fact]
    public async Task Handler_Throws_CountedLoggedAndSubscriptionContinues()
    {
        var logs = new CapturingLoggerFactory();
        var transport = Track(new NatsTransport(await ConnectAsync(), new NatsTransportOptions { LoggerFactory = logs }));
        var topic = NewTopic("throws");
        var received = new MessageCollector<byte>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Body.Span[0]);
            return m.Body.Span[0] == 0 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, new byte[] { 0 }, Token);
        await publisher.PublishAsync(topic, new byte[] { 1 }, Token);
        await publisher.PublishAsync(topic, new byte[] { 0 }, Token);

        Assert.Equal([0, 1, 0], await received.WaitForCountAsync(3));
        await Eventually.TrueAsync(() => transport.HandlerFailureCount == 2, "both failures were counted");
        Assert.Equal(2, logs.Entries.Count(e => e.EventId == HydrateEventId.SubscriptionHandlerFailed && e.Exception is InvalidOperationException && e.Message.Contains(topic, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Publish_EmptyMessage_ArrivesEmpty()
    {
        var topic = NewTopic("empty");
        var received = new MessageCollector<int>();
        await (await NewTransportAsync()).SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Body.Length);
            return ValueTask.CompletedTask;
        }, Token);

        await (await NewTransportAsync()).PublishAsync(topic, ReadOnlyMemory<byte>.Empty, Token);

        Assert.Equal([0], await received.WaitForCountAsync(1));
    }

    [Fact]
    public async Task FirstConnect_NotReportedAsConnectionChange()
    {
        await using var connection = new NatsConnection(NatsTestServer.Options("hydratecache-first-connect"));
        await using var transport = new NatsTransport(connection);
        var events = new ConcurrentQueue<bool>();
        transport.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);

        await transport.SubscribeAsync(NewTopic("first"), (_, _) => ValueTask.CompletedTask, Token);
        await Task.Delay(200, Token);

        Assert.Equal(NatsConnectionState.Open, connection.ConnectionState);
        Assert.Empty(events);
    }

    [Fact]
    public async Task Reconnect_Forced_ReportsFalseThenTrueAndSubscriptionResumes()
    {
        var logs = new CapturingLoggerFactory();
        var connection = await ConnectAsync();
        var transport = Track(new NatsTransport(connection, new NatsTransportOptions { LoggerFactory = logs }));
        var events = new ConcurrentQueue<bool>();
        var connectedAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        transport.ConnectionChanged += (_, e) =>
        {
            events.Enqueue(e.IsConnected);
            if (e.IsConnected)
            {
                connectedAgain.TrySetResult();
            }
        };
        transport.ConnectionChanged += (_, _) => throw new InvalidOperationException("a broken ConnectionChanged handler");
        var topic = NewTopic("reconnect");
        var received = new MessageCollector<string>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(System.Text.Encoding.UTF8.GetString(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        var publisher = await NewTransportAsync();
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        await connection.ReconnectAsync();
        await connectedAgain.Task.WaitAsync(TimeSpan.FromSeconds(30), Token);

        // IsConnected=true is raised after the resubscription reached the server: the next message arrives.
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal(["before", "after"], await received.WaitForCountAsync(2));
        Assert.Equal([false, true], events);
        Assert.Equal(1, logs.Count(HydrateEventId.NatsConnectionLost));
        Assert.Equal(1, logs.Count(HydrateEventId.NatsConnectionRestored));
        Assert.Equal(2, logs.Count(HydrateEventId.NatsConnectionChangedHandlerFailed));
    }

    [Fact]
    public async Task Publish_ConcurrentCallsBeforeFirstConnect_ArriveInCallOrder()
    {
        const int count = 500;
        var topic = NewTopic("order-connect");
        var received = new MessageCollector<int>();
        await (await NewTransportAsync()).SubscribeAsync(topic, (m, _) =>
        {
            received.Add(BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        var connection = new NatsConnection(NatsTestServer.Options("hydratecache-lazy-publisher"));
        _cleanup.Add(connection);
        var publisher = Track(new NatsTransport(connection));

        // Not awaited one by one: every call waits for the first connect, and they must still go out in call order.
        var publishes = Enumerable.Range(0, count).Select(i => publisher.PublishAsync(topic, Sequence(i), Token).AsTask()).ToArray();
        await Task.WhenAll(publishes);

        Assert.Equal(Enumerable.Range(0, count), await received.WaitForCountAsync(count));
    }

    [Fact]
    public async Task Publish_ConcurrentCallsWhileReconnecting_ArriveInCallOrder()
    {
        const int count = 500;
        var topic = NewTopic("order-reconnect");
        var received = new MessageCollector<int>();
        await (await NewTransportAsync()).SubscribeAsync(topic, (m, _) =>
        {
            received.Add(BinaryPrimitives.ReadInt32LittleEndian(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        var connection = await ConnectAsync("hydratecache-reconnecting-publisher");
        var publisher = Track(new NatsTransport(connection));

        // Hold the reconnect until every publish is parked, so they are all released by the same reconnect.
        var holdReconnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnConnectingAsync = async endpoint =>
        {
            await holdReconnect.Task;
            return endpoint;
        };
        await connection.ReconnectAsync();
        await Eventually.TrueAsync(() => connection.ConnectionState != NatsConnectionState.Open, "the publisher's connection is down");
        var publishes = Enumerable.Range(0, count).Select(i => publisher.PublishAsync(topic, Sequence(i), Token).AsTask()).ToArray();
        await Task.Delay(100, Token);
        Assert.DoesNotContain(publishes, p => p.IsCompleted);
        holdReconnect.SetResult();
        await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(Enumerable.Range(0, count), await received.WaitForCountAsync(count));
    }

    [Fact]
    public async Task Dispose_WhilePublishWaitsForReconnect_PublishEndsWithObjectDisposed()
    {
        var connection = await ConnectAsync("hydratecache-dispose-waiting-publisher");
        var transport = new NatsTransport(connection);
        var holdReconnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnConnectingAsync = async endpoint =>
        {
            await holdReconnect.Task;
            return endpoint;
        };
        await connection.ReconnectAsync();
        await Eventually.TrueAsync(() => connection.ConnectionState != NatsConnectionState.Open, "the connection is down");
        var publishing = transport.PublishAsync(NewTopic("waiting"), new byte[] { 1 }, Token).AsTask();
        await Task.Delay(100, Token);
        Assert.False(publishing.IsCompleted);

        await transport.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => publishing.WaitAsync(TimeSpan.FromSeconds(10), Token));
        holdReconnect.SetResult();
    }

    [Fact]
    public async Task TwoTransports_SameConnection_BothReceiveEveryMessage()
    {
        var connection = await ConnectAsync();
        var first = Track(new NatsTransport(connection));
        var second = Track(new NatsTransport(connection));
        var topic = NewTopic("no-queue-group");
        var a = new MessageCollector<int>();
        var b = new MessageCollector<int>();
        await first.SubscribeAsync(topic, (m, _) =>
        {
            a.Add(m.Body.Span[0]);
            return ValueTask.CompletedTask;
        }, Token);
        await second.SubscribeAsync(topic, (m, _) =>
        {
            b.Add(m.Body.Span[0]);
            return ValueTask.CompletedTask;
        }, Token);

        for (byte i = 0; i < 10; i++)
        {
            await first.PublishAsync(topic, new[] { i }, Token);
        }

        Assert.Equal(Enumerable.Range(0, 10), await a.WaitForCountAsync(10));
        Assert.Equal(Enumerable.Range(0, 10), await b.WaitForCountAsync(10));
    }

    [Fact]
    public async Task Subscribe_CancelledToken_ThrowsOperationCanceled()
    {
        var transport = await NewTransportAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await transport.SubscribeAsync(NewTopic("cancelled"), (_, _) => ValueTask.CompletedTask, cts.Token));
    }
}
