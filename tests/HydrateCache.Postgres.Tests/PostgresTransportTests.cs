using System.Collections.Concurrent;
using System.Text;
using HydrateCache.TestKit;
using Npgsql;

namespace HydrateCache.Postgres.Tests;

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Transport")]
public class PostgresTransportTests : IAsyncLifetime
{
    private readonly AsyncDisposables _cleanup = new();
    private readonly List<string> _tables = [];
    private NpgsqlDataSource _admin = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _admin = PostgresTestServer.CreateDataSource();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // Transports first (they use the data sources), in reverse order of creation.
        await _cleanup.DisposeAsync();

        foreach (var table in _tables)
        {
            await PostgresTestServer.ExecuteAsync(_admin, $"DROP TABLE IF EXISTS {table}");
        }

        await _admin.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private static string NewTopic(string hint = "t") => $"hc-{hint}-{Guid.NewGuid():N}";

    /// <summary>A payload table of its own, dropped after the test.</summary>
    private string NewTable()
    {
        var table = $"hc_payloads_{Guid.NewGuid():N}";
        _tables.Add(table);
        return table;
    }

    private PostgresTransport NewTransport(PostgresTransportOptions? options = null, NpgsqlDataSource? dataSource = null)
    {
        if (dataSource is null)
        {
            dataSource = PostgresTestServer.CreateDataSource();
            _cleanup.Add(dataSource);
        }

        var transport = new PostgresTransport(dataSource, options ?? new PostgresTransportOptions { ReconnectDelay = TimeSpan.FromMilliseconds(100) });
        _cleanup.Add(transport);
        return transport;
    }

    /// <summary>Collects the messages' bodies; loss notices are not messages (losses are checked through DroppedCount and LostBefore).</summary>
    private static async Task<MessageCollector<byte[]>> CollectAsync(ITransport transport, string topic)
    {
        var received = new MessageCollector<byte[]>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            if (!m.IsLossNotice)
            {
                received.Add(m.Body.ToArray());
            }

            return ValueTask.CompletedTask;
        }, Token);
        return received;
    }

    public static TheoryData<string> HostileTopics =>
    [
        "with \"double\" quotes",
        "\"",
        "\"\"\"\"",
        "semi;colons;everywhere;",
        "\"; DROP TABLE x; --",
        "'; DROP TABLE x; --",
        "back\\slash and 'single' quotes",
        "$1 $$dollar$$ quoting",
        "UPPER lower MiXeD",
        "ключ-值-🔑",
        "tab\tand\nnewline",
        new string('a', 63),
        new string('ж', 31) + "a",
    ];

    [Theory]
    [MemberData(nameof(HostileTopics))]
    public async Task ChannelName_HostileButValid_RoundTripsUnchanged(string topic)
    {
        var subscriber = NewTransport();
        var received = await CollectAsync(subscriber, topic);
        var publisher = NewTransport();

        await publisher.PublishAsync(topic, "hello"u8.ToArray(), Token);

        Assert.Equal("hello", Encoding.UTF8.GetString((await received.WaitForCountAsync(1))[0]));
        Assert.Equal(0, subscriber.DroppedCount);
    }

    public static TheoryData<string, string> InvalidTopics => new()
    {
        { new string('a', 64), "64 bytes" },
        { new string('ж', 32), "64 bytes" },
        { "\"; DROP TABLE x; --" + new string('-', 50), "69 bytes" },
        { string.Concat(Enumerable.Repeat("🔑", 16)), "64 bytes" },
        { "nul\0inside", "NUL" },
        { "lone \ud800 surrogate", "surrogate" },
    };

    [Theory]
    [MemberData(nameof(InvalidTopics))]
    public async Task ChannelName_TooLongOrInvalid_ThrowsArgumentException(string topic, string expected)
    {
        var transport = NewTransport();

        var publish = await Assert.ThrowsAsync<ArgumentException>(async () => await transport.PublishAsync(topic, new byte[1], Token));
        var subscribe = await Assert.ThrowsAsync<ArgumentException>(async () => await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token));

        Assert.Contains(expected, publish.Message, StringComparison.Ordinal);
        Assert.Equal("topic", publish.ParamName);
        Assert.Equal("topic", subscribe.ParamName);
    }

    [Fact]
    public async Task ChannelName_TopicPrefixMakesItTooLong_ThrowsArgumentException()
    {
        var transport = NewTransport(new PostgresTransportOptions { TopicPrefix = new string('p', 60) });

        await Assert.ThrowsAsync<ArgumentException>(async () => await transport.PublishAsync("abcd", new byte[1], Token));
        await transport.PublishAsync("abc", new byte[1], Token);
    }

    [Fact]
    public async Task ChannelName_InjectionAttempt_ExecutesNoSql()
    {
        var sentinel = $"hc_sentinel_{Guid.NewGuid():N}";
        _tables.Add(sentinel);
        await PostgresTestServer.ExecuteAsync(_admin, $"CREATE TABLE {sentinel} (id int)");
        var topic = $"\"; DROP TABLE {sentinel}; --";
        var subscriber = NewTransport();
        var received = await CollectAsync(subscriber, topic);

        await NewTransport().PublishAsync(topic, "x"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);
        await using (var subscription = await subscriber.SubscribeAsync(topic + "'", (_, _) => ValueTask.CompletedTask, Token))
        {
        }

        Assert.Equal(1, await PostgresTestServer.ScalarAsync<int>(_admin, "SELECT count(*)::int FROM pg_tables WHERE tablename = $1", sentinel));
    }

    [Fact]
    public async Task TopicPrefix_SeparatesTransportsWithDifferentPrefixes()
    {
        var topic = NewTopic("prefix");
        var prefixed = NewTransport(new PostgresTransportOptions { TopicPrefix = "app1:" });
        var plain = NewTransport();
        var receivedPrefixed = await CollectAsync(prefixed, topic);
        var receivedPlain = await CollectAsync(plain, topic);

        await NewTransport(new PostgresTransportOptions { TopicPrefix = "app1:" }).PublishAsync(topic, "one"u8.ToArray(), Token);
        await NewTransport().PublishAsync(topic, "two"u8.ToArray(), Token);

        Assert.Equal("one", Encoding.UTF8.GetString((await receivedPrefixed.WaitForCountAsync(1))[0]));
        Assert.Equal("two", Encoding.UTF8.GetString((await receivedPlain.WaitForCountAsync(1))[0]));
        await Task.Delay(100, Token);
        Assert.Equal(1, receivedPrefixed.Count);
        Assert.Equal(1, receivedPlain.Count);
    }

    public static TheoryData<int, bool> BoundarySizes => new()
    {
        { 0, false },
        { 1, false },
        { PostgresPayload.MaxInlineFrameBytes - 1, false },
        { PostgresPayload.MaxInlineFrameBytes, false },
        { PostgresPayload.MaxInlineFrameBytes + 1, true },
        { 7999, true },
        { 8000, true },
        { 100_000, true },
        { 1024 * 1024, true },
    };

    [Theory]
    [MemberData(nameof(BoundarySizes))]
    public async Task Publish_AroundInlineLimit_RoundTripsInlineOrThroughTable(int size, bool throughTable)
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table, MaxMessageBytes = 1024 * 1024 };
        var topic = NewTopic("size");
        var subscriber = NewTransport(options);
        var received = await CollectAsync(subscriber, topic);
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        await NewTransport(options).PublishAsync(topic, payload, Token);

        Assert.Equal(payload, (await received.WaitForCountAsync(1))[0]);
        var tableExists = await PostgresTestServer.ScalarAsync<bool>(_admin, "SELECT to_regclass($1) IS NOT NULL", table);
        var rows = tableExists ? await PostgresTestServer.ScalarAsync<long>(_admin, $"SELECT count(*) FROM {table}") : 0;
        Assert.Equal(throughTable ? 1 : 0, rows);
        Assert.Equal(0, subscriber.DroppedCount);
    }

    [Fact]
    public async Task LargePayload_AfterRetention_RowIsDeleted()
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table, LargePayloadRetention = TimeSpan.FromSeconds(1) };
        var topic = NewTopic("retention");
        var received = await CollectAsync(NewTransport(options), topic);
        var publisher = NewTransport(options);
        var payload = new byte[100_000];
        new Random(1).NextBytes(payload);

        await publisher.PublishAsync(topic, payload, Token);
        Assert.Equal(payload, (await received.WaitForCountAsync(1))[0]);
        Assert.Equal(1, await PostgresTestServer.ScalarAsync<long>(_admin, $"SELECT count(*) FROM {table}"));

        // The publisher's cleanup runs every second and deletes rows older than the retention.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await PostgresTestServer.ScalarAsync<long>(_admin, $"SELECT count(*) FROM {table}") != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired row was not deleted");
            await Task.Delay(100, Token);
        }
    }

    [Fact]
    public async Task LargePayload_TableDroppedAfterFirstUse_IsCreatedAgain()
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table };
        var topic = NewTopic("recreate");
        var received = await CollectAsync(NewTransport(options), topic);
        var publisher = NewTransport(options);
        await publisher.PublishAsync(topic, new byte[10_000], Token);
        await received.WaitForCountAsync(1);

        await PostgresTestServer.ExecuteAsync(_admin, $"DROP TABLE {table}");
        await publisher.PublishAsync(topic, new byte[20_000], Token);

        Assert.Equal(20_000, (await received.WaitForCountAsync(2))[1].Length);
    }

    [Fact]
    public async Task LargePayload_ManyTransportsCreateTheTableAtOnce_AllPublishesSucceed()
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table };
        var topic = NewTopic("create-race");
        var received = await CollectAsync(NewTransport(options), topic);
        var publishers = Enumerable.Range(0, 6).Select(_ => NewTransport(options)).ToArray();

        await Task.WhenAll(publishers.Select(p => p.PublishAsync(topic, new byte[50_000], Token).AsTask()));

        Assert.Equal(6, (await received.WaitForCountAsync(6)).Count);
    }

    [Fact]
    public async Task LargePayload_RowGoneBeforeRead_DroppedCountedAndStreamContinues()
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table };
        var topic = NewTopic("gone");
        var subscriber = NewTransport(options);
        var received = await CollectAsync(subscriber, topic);
        var publisher = NewTransport(options);
        await publisher.PublishAsync(topic, new byte[10_000], Token);
        await received.WaitForCountAsync(1);

        // A reference to a row that does not exist (deleted by the retention, say).
        await PostgresTestServer.ExecuteAsync(_admin, "SELECT pg_notify($1, 'r999999999')", topic);
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);

        Assert.Equal("after", Encoding.UTF8.GetString((await received.WaitForCountAsync(2))[1]));
        Assert.Equal(1, subscriber.DroppedCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("b!!!!")]
    [InlineData("bAAA")]
    [InlineData("r")]
    [InlineData("r-1")]
    [InlineData("r12x")]
    public async Task Notification_NotInTransportFormat_DroppedCountedAndStreamContinues(string payload)
    {
        var topic = NewTopic("garbage");
        var subscriber = NewTransport();
        var received = await CollectAsync(subscriber, topic);

        await PostgresTestServer.ExecuteAsync(_admin, "SELECT pg_notify($1, $2)", topic, payload);
        await NewTransport().PublishAsync(topic, "good"u8.ToArray(), Token);

        Assert.Equal(["good"], (await received.WaitForCountAsync(1)).Select(b => Encoding.UTF8.GetString(b)));
        Assert.Equal(1, subscriber.DroppedCount);
    }

    [Fact]
    public async Task Notification_SentInsideTransaction_DeliveredOnlyOnCommit()
    {
        var topic = NewTopic("tx");
        var received = await CollectAsync(NewTransport(), topic);
        await using var connection = await _admin.OpenConnectionAsync(Token);
        await using var transaction = await connection.BeginTransactionAsync(Token);
        await using (var command = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = topic });
            command.Parameters.Add(new NpgsqlParameter { Value = PostgresPayload.EncodeInline("in-tx"u8.ToArray()) });
            await command.ExecuteNonQueryAsync(Token);
        }

        await Task.Delay(300, Token);
        Assert.Equal(0, received.Count);
        await transaction.CommitAsync(Token);
        Assert.Equal("in-tx", Encoding.UTF8.GetString((await received.WaitForCountAsync(1))[0]));
    }

    [Fact]
    public async Task Subscribe_SameTopicTwiceOnOneTransport_EachSubscriptionGetsEveryMessage()
    {
        var topic = NewTopic("twice");
        var transport = NewTransport();
        var first = await CollectAsync(transport, topic);
        var second = await CollectAsync(transport, topic);

        for (var i = 0; i < 20; i++)
        {
            await transport.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        Assert.Equal(Enumerable.Range(0, 20), (await first.WaitForCountAsync(20)).Select(b => BitConverter.ToInt32(b)));
        Assert.Equal(Enumerable.Range(0, 20), (await second.WaitForCountAsync(20)).Select(b => BitConverter.ToInt32(b)));
    }

    [Fact]
    public async Task Subscribe_OneOfTwoOnSameTopicDisposed_OtherKeepsReceiving()
    {
        var topic = NewTopic("one-of-two");
        var transport = NewTransport();
        var received = await CollectAsync(transport, topic);
        var other = await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token);

        await other.DisposeAsync();
        await NewTransport().PublishAsync(topic, "still"u8.ToArray(), Token);

        Assert.Equal("still", Encoding.UTF8.GetString((await received.WaitForCountAsync(1))[0]));
    }

    [Fact]
    public async Task Subscribe_LastSubscriptionDisposed_ListeningConnectionIsReleasedAndReopened()
    {
        var topic = NewTopic("release");
        var transport = NewTransport();
        var subscription = await transport.SubscribeAsync(topic, (_, _) => ValueTask.CompletedTask, Token);
        Assert.NotEqual(0, transport.ListenerProcessId);

        await subscription.DisposeAsync();
        await Eventually.TrueAsync(() => transport.ListenerProcessId == 0, "the listening connection was closed");

        var received = await CollectAsync(transport, topic);
        await transport.PublishAsync(topic, "again"u8.ToArray(), Token);
        Assert.Equal("again", Encoding.UTF8.GetString((await received.WaitForCountAsync(1))[0]));
    }

    [Fact]
    public async Task Subscribe_ManyTopicsConcurrently_AllEstablished()
    {
        var transport = NewTransport();
        var topics = Enumerable.Range(0, 40).Select(i => NewTopic($"many{i}")).ToArray();
        var collectors = await Task.WhenAll(topics.Select(t => CollectAsync(transport, t)));

        var publisher = NewTransport();
        foreach (var topic in topics)
        {
            await publisher.PublishAsync(topic, Encoding.UTF8.GetBytes(topic), Token);
        }

        for (var i = 0; i < topics.Length; i++)
        {
            Assert.Equal(topics[i], Encoding.UTF8.GetString((await collectors[i].WaitForCountAsync(1))[0]));
        }
    }

    [Fact]
    public async Task Subscribe_ChurnOnOtherTopicsWhileMessagesFlow_NothingLostNoReconnect()
    {
        var topic = NewTopic("stable");
        var transport = NewTransport();
        var events = new ConcurrentQueue<bool>();
        transport.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var received = await CollectAsync(transport, topic);
        var publisher = NewTransport();
        const int count = 1000;

        // Every subscribe and unsubscribe interrupts the listening connection's wait to (UN)LISTEN.
        var churn = Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var subscription = await transport.SubscribeAsync(NewTopic("churn"), (_, _) => ValueTask.CompletedTask, Token);
                await subscription.DisposeAsync();
            }
        }, Token);
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        await churn;
        Assert.Equal(Enumerable.Range(0, count), (await received.WaitForCountAsync(count)).Select(b => BitConverter.ToInt32(b)));
        Assert.Empty(events);
        Assert.Equal(0, transport.DroppedCount);
    }

    [Fact]
    public async Task Handler_Throws_CountedAndLogged()
    {
        var topic = NewTopic("count-failures");
        var logs = new CapturingLoggerFactory();
        var transport = NewTransport(new PostgresTransportOptions { LoggerFactory = logs });
        var received = new MessageCollector<int>();
        await transport.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(m.Body.Length);
            return m.Body.Length == 1 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        }, Token);

        await transport.PublishAsync(topic, new byte[1], Token);
        await transport.PublishAsync(topic, new byte[2], Token);

        Assert.Equal([1, 2], await received.WaitForCountAsync(2));
        Assert.Equal(1, transport.HandlerFailureCount);
        var entry = Assert.Single(logs.Entries, e => e.EventId == HydrateEventId.SubscriptionHandlerFailed);
        Assert.Contains(topic, entry.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task SlowHandler_BufferFull_OldestDroppedCountedReportedInBandNeverBlockTheListener()
    {
        var topic = NewTopic("full");
        var otherTopic = NewTopic("other");
        var logs = new CapturingLoggerFactory();
        var transport = NewTransport(new PostgresTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 2 },
            LoggerFactory = logs,
        });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new MessageCollector<(int Value, long LostBefore)>();
        await transport.SubscribeAsync(topic, async (m, ct) =>
        {
            slow.Add((BitConverter.ToInt32(m.Body.Span), m.LostBefore));
            await release.Task.WaitAsync(ct);
        }, Token);
        var other = await CollectAsync(transport, otherTopic);
        var publisher = NewTransport();

        await publisher.PublishAsync(topic, BitConverter.GetBytes(0), Token);
        await slow.WaitForCountAsync(1);
        for (var i = 1; i < 10; i++)
        {
            await publisher.PublishAsync(topic, BitConverter.GetBytes(i), Token);
        }

        await publisher.PublishAsync(otherTopic, "other"u8.ToArray(), Token);

        // The listening connection, shared with the other subscription, is not held up by the slow handler.
        await other.WaitForCountAsync(1);
        Assert.Equal(1, slow.Count);

        // One message in the handler, the newest two in the buffer, the seven before them dropped: counted, logged,
        // and reported in band with the first message after the gap.
        Assert.Equal(7, transport.DroppedCount);
        Assert.True(logs.Contains(HydrateEventId.SubscriptionMessagesLost));
        release.SetResult();
        Assert.Equal([(0, 0L), (8, 7L), (9, 0L)], await slow.WaitForCountAsync(3));
        await Task.Delay(100, Token);
        Assert.Equal(3, slow.Count);
    }

    [Fact]
    public async Task Channel_SubscriptionBufferOverflows_LossReportedInStatisticsAsTransportLoss()
    {
        var subscriberTransport = new SubscribedSignal(NewTransport(new PostgresTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1 },
        }));

        // The notifications reach the (never blocking) listener in order; once k4 is buffered, k1..k3 are gone.
        await ChannelLossScenario.AssertLossCountedAsync(
            NewTransport(),
            subscriberTransport,
            NewTopic("channel"),
            () => subscriberTransport.Inner.DroppedCount,
            () => subscriberTransport.Subscribed.WaitAsync(TimeSpan.FromSeconds(30), Token));
    }

    [Fact]
    public async Task LargePayload_RowGoneWhileOthersBuffered_LossReportedInBand()
    {
        var table = NewTable();
        var options = new PostgresTransportOptions { PayloadTable = table };
        var topic = NewTopic("gone-in-band");
        var subscriber = NewTransport(options);
        var received = new MessageCollector<(int Length, long LostBefore)>();
        await subscriber.SubscribeAsync(topic, (m, _) =>
        {
            received.Add((m.Body.Length, m.LostBefore));
            return ValueTask.CompletedTask;
        }, Token);
        var publisher = NewTransport(options);
        await publisher.PublishAsync(topic, new byte[10_000], Token);
        await received.WaitForCountAsync(1);

        await PostgresTestServer.ExecuteAsync(_admin, "SELECT pg_notify($1, 'r999999999')", topic);
        await publisher.PublishAsync(topic, new byte[3], Token);

        // The missing row is counted and reported to the handler, as a loss notice or with the next message.
        var items = await received.WaitForCountAsync(2);
        await Task.Delay(200, Token);
        items = received.Items;
        Assert.Equal(1, items.Sum(i => i.LostBefore));
        Assert.Equal(1, subscriber.DroppedCount);
        Assert.Equal([10_000, 3], items.Where(i => i.Length > 0).Select(i => i.Length));
    }

    /// <summary>A transport wrapper that tells when its first subscription is established.</summary>
    private sealed class SubscribedSignal(PostgresTransport inner) : ITransport
    {
        private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged
        {
            add => inner.ConnectionChanged += value;
            remove => inner.ConnectionChanged -= value;
        }

        public PostgresTransport Inner => inner;

        public Task Subscribed => _subscribed.Task;

        public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
            inner.PublishAsync(topic, message, cancellationToken);

        public async ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
        {
            var subscription = await inner.SubscribeAsync(topic, handler, cancellationToken);
            _subscribed.TrySetResult();
            return subscription;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ListeningConnection_Terminated_ReconnectsRelistensAndReportsBothEvents()
    {
        var topic = NewTopic("terminate");
        var logs = new CapturingLoggerFactory();
        var subscriber = NewTransport(new PostgresTransportOptions { LoggerFactory = logs, ReconnectDelay = TimeSpan.FromMilliseconds(100) });
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var received = await CollectAsync(subscriber, topic);
        var publisher = NewTransport();
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);
        var oldPid = subscriber.ListenerProcessId;

        Assert.True(await PostgresTestServer.ScalarAsync<bool>(_admin, "SELECT pg_terminate_backend($1)", oldPid));

        await Eventually.TrueAsync(() => events.Contains(true), "the transport reported the reconnect");
        Assert.Equal([false, true], events.ToArray());
        Assert.NotEqual(oldPid, subscriber.ListenerProcessId);
        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal("after", Encoding.UTF8.GetString((await received.WaitForCountAsync(2))[1]));
        Assert.True(logs.Contains(HydrateEventId.PostgresListenerDisconnected));
        Assert.True(logs.Contains(HydrateEventId.PostgresListenerReconnected));
    }

    [Fact]
    public async Task ServerRestart_FirstPublishOnStalePooledConnection_IsRetriedAndSucceeds()
    {
        var topic = NewTopic("stale-pool");
        var subscriber = NewTransport();
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ConnectionChanged += (_, e) =>
        {
            if (e.IsConnected)
            {
                reconnected.TrySetResult();
            }
        };
        var received = await CollectAsync(subscriber, topic);
        var logs = new CapturingLoggerFactory();
        var publisher = NewTransport(new PostgresTransportOptions { LoggerFactory = logs });
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        // The publisher's pool keeps the connection it used: after the restart that connection is dead.
        await TestServers.RestartAsync("postgres");
        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(60), Token);

        await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
        Assert.Equal("after", Encoding.UTF8.GetString((await received.WaitForCountAsync(2))[1]));
        Assert.True(logs.Contains(HydrateEventId.PostgresPublishRetried));
    }

    [Fact]
    public async Task ServerUnreachable_PublishAndSubscribe_ThrowTransientTransportException()
    {
        // Nothing listens on port 1.
        var dataSource = PostgresTestServer.CreateDataSource(b =>
        {
            b.Port = 1;
            b.Timeout = 2;
        });
        _cleanup.Add(dataSource);
        var transport = NewTransport(dataSource: dataSource);

        var publish = await Assert.ThrowsAsync<PostgresTransportException>(async () => await transport.PublishAsync(NewTopic(), new byte[1], Token));
        var subscribe = await Assert.ThrowsAsync<PostgresTransportException>(async () => await transport.SubscribeAsync(NewTopic(), (_, _) => ValueTask.CompletedTask, Token));

        Assert.True(publish.IsTransient);
        Assert.True(subscribe.IsTransient);
        Assert.IsAssignableFrom<NpgsqlException>(publish.InnerException);
    }

    [Fact]
    public async Task Dispose_DoesNotDisposeTheDataSource()
    {
        var dataSource = PostgresTestServer.CreateDataSource();
        _cleanup.Add(dataSource);
        var transport = new PostgresTransport(dataSource);
        await transport.SubscribeAsync(NewTopic(), (_, _) => ValueTask.CompletedTask, Token);
        await transport.PublishAsync(NewTopic(), new byte[1], Token);

        await transport.DisposeAsync();
        await transport.DisposeAsync();

        Assert.Equal(1, await PostgresTestServer.ScalarAsync<int>(dataSource, "SELECT 1"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await transport.PublishAsync("t", new byte[1], Token));
    }

    [Fact]
    public async Task Dispose_FromInsideHandler_DoesNotDeadlock()
    {
        var topic = NewTopic("self-dispose");
        var dataSource = PostgresTestServer.CreateDataSource();
        _cleanup.Add(dataSource);
        var transport = new PostgresTransport(dataSource);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await transport.SubscribeAsync(topic, async (_, _) =>
        {
            await transport.DisposeAsync();
            disposed.TrySetResult();
        }, Token);

        await NewTransport().PublishAsync(topic, new byte[1], Token);

        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
    }

    [Fact]
    public async Task Subscribe_Cancelled_ThrowsAndSubscribesNothing()
    {
        var transport = NewTransport();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await transport.SubscribeAsync(NewTopic(), (_, _) => ValueTask.CompletedTask, cts.Token));
    }
}
