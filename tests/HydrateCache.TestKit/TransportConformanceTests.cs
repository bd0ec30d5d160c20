using System.Text;

namespace HydrateCache.TestKit;

/// <summary>
/// The behaviour every <see cref="ITransport"/> must have. Each transport's test project derives a class from this one
/// and supplies connections to a real server; the in-memory transport's tests derive from it too.
/// </summary>
public abstract partial class TransportConformanceTests : IAsyncLifetime
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

    /// <summary>
    /// Loss recovery over this transport, its control topic included: a publisher that only publishes sends 30 updates;
    /// one receiver loses 10..14 (a gap it sees when 15 arrives), every receiver loses the tail 26..30 and the publisher
    /// goes quiet (only its heartbeat tells). Every receiver converges by retransmission alone (no later write hides
    /// the loss), and the three receivers missing the same tail do not cause three retransmissions of it.
    /// </summary>
    [Fact]
    public async Task LossRecovery_MissedRangeAndLostTail_EveryReceiverConvergesByRetransmission()
    {
        var channelName = NewTopic("recovery");
        var publisher = new HydrateChannel<string>(await NewTransportAsync(), channelName, FastRecovery(new HydrateChannelOptions<string>()));
        var receivers = new List<(HydrateChannel<string> Channel, LocalHydratedCache<string> Cache, LossyTransport Transport)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var first = i == 0;
            var lossy = new LossyTransport(await NewTransportAsync(), sequence => sequence > 25 || (first && sequence is >= 10 and <= 14));
            var logs = new CapturingLoggerFactory();
            var channel = new HydrateChannel<string>(lossy, channelName, FastRecovery(new HydrateChannelOptions<string> { LoggerFactory = logs }));
            var cache = new LocalHydratedCache<string>();
            await channel.StartRecoveryAsync(receiving: true, Token);
            hydrating.Add(channel.HydrateAsync(cache, stop.Token));
            await Eventually.TrueAsync(() => logs.Contains(HydrateEventId.ChannelSubscribed), "the receiver subscribed");
            receivers.Add((channel, cache, lossy));
        }

        await SettleSubscriptionsAsync();
        for (var i = 1; i <= 30; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        await Eventually.TrueAsync(
            () => receivers.All(r => Enumerable.Range(1, 30).All(i => r.Cache.TryGet($"k{i}", out var v) && v == $"v{i}")),
            "every receiver holds every update",
            TimeSpan.FromSeconds(30));

        // The faults happened, and retransmission (not a later write) repaired at least what they killed. Under load the
        // data can lag behind a heartbeat, which then asks for more than was lost: harmless duplicates, counted as well.
        Assert.Equal([10L, 5L, 5L], receivers.Select(r => r.Transport.Killed));
        Assert.All(receivers, r => Assert.True(r.Channel.Statistics.Recovered >= r.Transport.Killed, $"recovered {r.Channel.Statistics.Recovered} of {r.Transport.Killed}"));
        Assert.All(receivers, r => Assert.Equal(0, r.Channel.Statistics.Unrecovered));
        Assert.Equal(30, publisher.Statistics.Published);
        var retransmitted = publisher.Statistics.Retransmitted;
        Console.WriteLine($"{GetType().Name}: killed 20 (10/5/5), recovered {string.Join("/", receivers.Select(r => r.Channel.Statistics.Recovered))}, retransmitted {retransmitted}, requests {receivers.Sum(r => r.Channel.Statistics.RetransmitRequests)}, heartbeats {publisher.Statistics.HeartbeatsSent}");
        Assert.True(retransmitted >= 10, $"only {retransmitted} retransmissions for 10 distinct lost updates");

        await stop.CancelAsync();
        await Task.WhenAll(hydrating);
        foreach (var receiver in receivers)
        {
            await receiver.Channel.DisposeAsync();
        }

        await publisher.DisposeAsync();
    }

    /// <summary>
    /// Signing and encryption over this transport: a signing, encrypting publisher sends 10 updates; the receiver loses
    /// 3 and 9..10 and converges by retransmission of the signed originals (which verify); what the broker carries never
    /// contains a value in the clear; forged frames published raw on the topic (a bit flip, a replay from another
    /// channel, an unsigned frame, an unknown key) are rejected and counted by reason.
    /// </summary>
    [Fact]
    public async Task Security_SignedAndEncrypted_RetransmissionsVerify_BrokerSeesNoPlaintext_ForgeriesCounted()
    {
        const string Secret = "value-the-broker-must-not-read-";
        var channelName = NewTopic("secure");
        static HydrateChannelOptions<string> Secured(string signingKey = "s1", CapturingLoggerFactory? logs = null) =>
            FastRecovery(SecurityTestKeys.Secure(new HydrateChannelOptions<string> { LoggerFactory = logs }, signingKey));
        var publisherTransport = await NewTransportAsync();
        var publisher = new HydrateChannel<string>(publisherTransport, channelName, Secured());
        var (observation, onTheWire) = await CollectAsync(await NewTransportAsync(), publisher.Topic);
        var lossy = new LossyTransport(await NewTransportAsync(), sequence => sequence is 3 or > 8);
        var logs = new CapturingLoggerFactory();
        var receiver = new HydrateChannel<string>(lossy, channelName, Secured(logs: logs));
        var cache = new LocalHydratedCache<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await receiver.StartRecoveryAsync(receiving: true, Token);
        var hydrating = receiver.HydrateAsync(cache, stop.Token);
        await Eventually.TrueAsync(() => logs.Contains(HydrateEventId.ChannelSubscribed), "the receiver subscribed");
        await SettleSubscriptionsAsync();

        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync($"k{i}", Secret + i, cancellationToken: Token);
        }

        // Forgeries, each from its own sender at sequence 1 (so the lossy transport lets them through).
        var insider = new HydrateChannel<string>(publisherTransport, channelName, Secured());
        var flipped = insider.Encode(insider.CreateUpsert("k1", "forged"));
        flipped[flipped.Length / 2] ^= 0x04;
        var otherChannel = new HydrateChannel<string>(publisherTransport, channelName + "-other", Secured());
        var unsigned = new HydrateChannel<string>(publisherTransport, channelName, FastRecovery(new HydrateChannelOptions<string>()));
        var stranger = new HydrateChannel<string>(publisherTransport, channelName, Secured(signingKey: "s9"));
        foreach (var forged in new[]
        {
            flipped,
            otherChannel.Encode(otherChannel.CreateUpsert("k1", "replayed")),
            unsigned.Encode(unsigned.CreateUpsert("k1", "unsigned")),
            stranger.Encode(stranger.CreateUpsert("k1", "stranger")),
        })
        {
            await publisherTransport.PublishAsync(publisher.Topic, forged, Token);
        }

        await Eventually.TrueAsync(
            () => Enumerable.Range(1, 10).All(i => cache.TryGet($"k{i}", out var v) && v == Secret + i),
            "the receiver holds every update",
            TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => receiver.Statistics.Dropped >= 4, "every forgery was counted");

        Assert.Equal(3, lossy.Killed);
        Assert.True(receiver.Statistics.Recovered >= 3, $"recovered {receiver.Statistics.Recovered} of 3");
        Assert.True(publisher.Statistics.Retransmitted >= 3, $"retransmitted {publisher.Statistics.Retransmitted}");
        Assert.Equal(2, receiver.Statistics.GetDropped(HydrateDropReason.BadSignature));
        Assert.Equal(1, receiver.Statistics.GetDropped(HydrateDropReason.Unsigned));
        Assert.Equal(1, receiver.Statistics.GetDropped(HydrateDropReason.UnknownKey));
        Assert.Equal(4, receiver.Statistics.Dropped);

        // What the broker carried: every update (and its retransmissions), none readable.
        await Eventually.TrueAsync(() => onTheWire.Count >= 10 + 4 + 3, "the observer saw the updates, forgeries and retransmissions");
        var secret = Encoding.UTF8.GetBytes(Secret);
        Assert.All(onTheWire.Items, frame => Assert.True(frame.AsSpan().IndexOf(secret) < 0, "a value crossed the broker in the clear"));
        Assert.Contains(onTheWire.Items, frame => frame.AsSpan().IndexOf("forged"u8) < 0 && frame.AsSpan().IndexOf("unsigned"u8) >= 0);

        await stop.CancelAsync();
        await hydrating;
        await observation.DisposeAsync();
        await receiver.DisposeAsync();
        await publisher.DisposeAsync();
    }

    /// <summary>
    /// Invalidate-only mode over this transport: a publisher whose values above 64 bytes travel as invalidations. Small
    /// values arrive with their value; large ones as key and version only, and every receiver drops its old copy. Then
    /// 100 concurrent readers per key on each of three receivers cause exactly one source load per key per receiver, and
    /// every copy ends with the publisher's versions.
    /// </summary>
    [Fact]
    public async Task InvalidateOnly_LargeValues_ReceiversDropTheirCopyAndLoadEachKeyOncePerReceiver()
    {
        const int Keys = 5;
        const int ReadersPerKey = 100;
        var channelName = NewTopic("invalidate");
        var source = new DictionarySource<string>();
        var publisherOptions = new HydrateChannelOptions<string> { LocalCache = new LocalHydratedCache<string>() };
        publisherOptions.Invalidation.Mode = HydrateInvalidationMode.AboveSize;
        publisherOptions.Invalidation.MaxBroadcastPayloadBytes = 64;
        var publisher = new HydrateChannel<string>(await NewTransportAsync(), channelName, publisherOptions);
        var (raw, frames) = await CollectAsync(await NewTransportAsync(), channelName);
        var receivers = new List<(HydrateChannel<string> Channel, LocalHydratedCache<string> Cache)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var hydrating = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var channel = new HydrateChannel<string>(await NewTransportAsync(), channelName, new HydrateChannelOptions<string> { Source = source });
            var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { StartsWarm = false });
            hydrating.Add(channel.HydrateAsync(cache, stop.Token));
            await cache.WhenWarmAsync(Token);
            receivers.Add((channel, cache));
        }

        await SettleSubscriptionsAsync();
        for (var k = 0; k < Keys; k++)
        {
            source.Write($"k{k}", $"small{k}");
            await publisher.PublishAsync($"k{k}", $"small{k}", cancellationToken: Token);
        }

        await Eventually.TrueAsync(
            () => receivers.All(r => Enumerable.Range(0, Keys).All(k => r.Cache.TryGet($"k{k}", out var v) && v == $"small{k}")),
            "every receiver holds the small values");

        for (var k = 0; k < Keys; k++)
        {
            source.Write($"k{k}", $"large{k}:" + new string('x', 1000));
            await publisher.PublishAsync($"k{k}", $"large{k}:" + new string('x', 1000), cancellationToken: Token);
        }

        // Every receiver dropped its old copy; the frames carried no value.
        await Eventually.TrueAsync(
            () => receivers.All(r => Enumerable.Range(0, Keys).All(k => !r.Cache.TryGet($"k{k}", out _))),
            "every receiver dropped the small values");
        await Eventually.TrueAsync(() => frames.Count >= 2 * Keys, "the raw subscriber got every frame");
        var large = frames.Items.Skip(Keys).Take(Keys).ToList();
        Assert.All(large, f => Assert.True(HydrateFrame.TryReadMetadata(f, out var m) && m.Kind == MessageKind.Invalidate && m.CodecId is null && f.Length < 100));
        Assert.Equal(Keys, publisher.Statistics.Invalidations);

        // The read storm: every reader of every key on every receiver at once, while the source holds the loads.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.KeyGate = gate.Task;
        var reads = receivers
            .SelectMany(r => Enumerable.Range(0, Keys).SelectMany(k => Enumerable.Range(0, ReadersPerKey)
                .Select(_ => Task.Run(async () => (await r.Cache.GetOrLoadAsync($"k{k}", Token))?.Value, Token))))
            .ToArray();
        await Eventually.TrueAsync(() => source.KeyLoads == 3 * Keys, "each receiver started one load per key");
        await Task.Delay(100, Token);
        gate.SetResult();
        var values = await Task.WhenAll(reads);

        Assert.All(values, v => Assert.StartsWith("large", v));
        Assert.All(Enumerable.Range(0, Keys), k => Assert.Equal(3, source.KeyLoadsOf($"k{k}")));
        Assert.All(receivers, r => Assert.Equal(Keys, r.Channel.Statistics.KeyLoads));
        Assert.All(receivers, r => Assert.Equal(publisherOptions.LocalCache.GetDigest(16), r.Cache.GetDigest(16)));
        Console.WriteLine($"{GetType().Name}: {reads.Length} reads of {Keys} invalidated keys on 3 receivers, {source.KeyLoads} source loads");

        await stop.CancelAsync();
        await Task.WhenAll(hydrating);
        await raw.DisposeAsync();
        foreach (var receiver in receivers)
        {
            await receiver.Channel.DisposeAsync();
            receiver.Cache.Dispose();
        }

        await publisher.DisposeAsync();
        publisherOptions.LocalCache.Dispose();
    }

    /// <summary>Waits until subscriptions made just before are sure to receive (a transport that needs time overrides it).</summary>
    protected virtual Task SettleSubscriptionsAsync() => Task.CompletedTask;

    /// <summary>Recovery timings for tests: a lost tail is noticed and requested within a fraction of a second.</summary>
    protected static HydrateChannelOptions<string> FastRecovery(HydrateChannelOptions<string> options)
    {
        options.Recovery.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
        options.Recovery.NakDelay = TimeSpan.FromMilliseconds(100);
        options.Recovery.NakRetryInterval = TimeSpan.FromMilliseconds(700);
        options.Recovery.RetransmitHoldoff = TimeSpan.FromMilliseconds(500);
        options.Recovery.NakAttempts = 10;
        return options;
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
