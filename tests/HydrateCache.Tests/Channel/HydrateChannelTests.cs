using System.Text;
using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Channel;

public sealed record Quote(string Symbol, decimal Price, DateTimeOffset At);

[TestSuite("BVT"), TestProvider("None"), TestArea("Channel")]
public class HydrateChannelTests : IAsyncDisposable
{
    private readonly InMemoryTransport _bus = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _bus.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<MessageCollector<TypedMessage<T>>> LiveSubscriberAsync<T>(HydrateChannel<T> channel)
    {
        var received = new MessageCollector<TypedMessage<T>>();
        var ready = new TaskCompletionSource();
        _ = channel.SubscribeAsync((m, _) =>
        {
            if (m.Key == "__ready__")
            {
                ready.TrySetResult();
            }
            else
            {
                received.Add(m);
            }

            return ValueTask.CompletedTask;
        }, Token);

        // Subscribing is asynchronous: publish probes until one comes back.
        var probe = new HydrateChannel<string>(_bus, channel.Name, new HydrateChannelOptions<string>
        {
            Codec = new DelegateCodec<string>(channel.Codec.Id, Encoding.UTF8.GetBytes, b => Encoding.UTF8.GetString(b.Span)),
        });
        while (!ready.Task.IsCompleted)
        {
            await probe.RemoveAsync("__ready__", Token);
            await Task.WhenAny(ready.Task, Task.Delay(10, Token));
        }

        return received;
    }

    // The payload and the envelope are written into pooled buffers: once the JIT has optimized the path, encoding a
    // frame allocates the frame itself and nothing else (a CborWriter and an ArrayBufferWriter per message before).
    // Tier-0 code of generic helpers (e.g. MemoryExtensions.IndexOfAnyInRange) allocates, so rounds are measured until
    // tiering is done; the assertion is on the last round.
    [Fact]
    public async Task Encode_AfterWarmUp_AllocatesOnlyTheFrame()
    {
        var channel = new HydrateChannel<Quote>(_bus, "quotes");
        var message = channel.CreateUpsert("MSFT", new Quote("MSFT", 412.5m, DateTimeOffset.UnixEpoch), Ttl.FromNow(TimeSpan.FromHours(1)));
        var frameBytes = channel.Encode(message).Length;

        // A byte[] is its length plus 24 bytes of header and length on 64-bit, rounded up to 8.
        var expected = ((frameBytes + 24 + 7) / 8) * 8.0;
        const int Frames = 1000;
        var perFrame = double.NaN;
        for (var round = 0; round < 50 && perFrame != expected; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Frames; i++)
            {
                channel.Encode(message);
            }

            perFrame = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Frames;
            await Task.Delay(100, Token);
        }

        Assert.Equal(expected, perFrame);
    }

    [Fact]
    public async Task Publish_RecordValueWithTtl_SubscriberGetsEveryField()
    {
        var publisher = new HydrateChannel<Quote>(_bus, "quotes");
        var subscriber = new HydrateChannel<Quote>(_bus, "quotes");
        var received = await LiveSubscriberAsync(subscriber);
        var quote = new Quote("MSFT", 412.5m, new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.FromHours(-5)));
        var ttl = new Ttl(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        await publisher.PublishAsync("MSFT", quote, ttl, Token);

        var message = (await received.WaitForCountAsync(1))[0];
        Assert.Equal("MSFT", message.Key);
        Assert.Equal(MessageKind.Upsert, message.Kind);
        Assert.Equal(quote, message.Payload);
        Assert.Equal(ttl.Start.ToUnixTimeMilliseconds(), message.Ttl!.Value.Start.ToUnixTimeMilliseconds());
        Assert.Equal(ttl.Duration, message.Ttl.Value.Duration);
        Assert.Equal(publisher.SenderId, message.SenderId);
        Assert.Equal(1UL, message.Sequence);
    }

    [Fact]
    public async Task Publish_Sequence_IncreasesByOnePerMessageAndVersionsIncrease()
    {
        var publisher = new HydrateChannel<int>(_bus, "numbers");
        var received = await LiveSubscriberAsync(new HydrateChannel<int>(_bus, "numbers"));
        for (var i = 0; i < 20; i++)
        {
            await publisher.PublishAsync($"k{i % 3}", i, cancellationToken: Token);
        }

        await publisher.RemoveAsync("k0", Token);
        var messages = await received.WaitForCountAsync(21);
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (ulong)i), messages.Select(m => m.Sequence));
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.Version < p.Second.Version));
        Assert.Equal(MessageKind.Delete, messages[^1].Kind);
        Assert.Equal(0, messages[^1].Payload);
    }

    [Fact]
    public async Task Receive_GarbageAndForeignFrames_AreCountedDroppedAndSubscriptionContinues()
    {
        var publisher = new HydrateChannel<string>(_bus, "strings");
        var subscriber = new HydrateChannel<string>(_bus, "strings");
        var received = await LiveSubscriberAsync(subscriber);
        var dropsBefore = subscriber.Statistics.Dropped;

        await _bus.PublishAsync("strings", "not cbor at all"u8.ToArray(), Token);
        await _bus.PublishAsync("strings", Convert.FromHexString("d9d9f78a0202616b1b0000018bcfe56800025000112233445566778899aabbccddeeff182bf6f6f6"), Token);   // wire version 2
        await _bus.PublishAsync("strings", Convert.FromHexString("d9d9f78a01"), Token);   // truncated v1
        await _bus.PublishAsync("strings", new byte[2 * 1024 * 1024], Token);            // over the 1 MiB limit
        var foreign = new HydrateChannel<string>(_bus, "strings", new HydrateChannelOptions<string>().WithCodec("json", Encoding.UTF8.GetBytes, b => Encoding.UTF8.GetString(b.Span)));
        await foreign.PublishAsync("k", "from another codec", cancellationToken: Token);
        var broken = new HydrateChannel<string>(_bus, "strings", new HydrateChannelOptions<string>().WithCodec("cbor", _ => [0xff, 0xff], _ => "unused"));
        await broken.PublishAsync("k", "undecodable", cancellationToken: Token);
        await publisher.PublishAsync("k", "good", cancellationToken: Token);

        var messages = await received.WaitForCountAsync(1);
        Assert.Equal("good", messages[0].Payload);
        Assert.Equal(6, subscriber.Statistics.Dropped - dropsBefore);
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.NotAFrame));
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.UnsupportedVersion));
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.Malformed));
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.TooLarge));
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.CodecMismatch));
        Assert.Equal(1, subscriber.Statistics.GetDropped(HydrateDropReason.PayloadUndecodable));
    }

    [Fact]
    public async Task Subscribe_HandlerThrows_NextMessageStillDelivered()
    {
        var channel = new HydrateChannel<string>(_bus, "throwing");
        var received = new MessageCollector<string>();
        _ = channel.SubscribeAsync((m, _) =>
        {
            received.Add(m.Payload!);
            return m.Payload == "bad" ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        }, Token);
        await Eventually.TrueAsync(() =>
        {
            channel.PublishAsync("probe", "probe", cancellationToken: Token).AsTask().GetAwaiter().GetResult();
            return received.Count > 0;
        }, "subscription is live");

        await channel.PublishAsync("k", "bad", cancellationToken: Token);
        await channel.PublishAsync("k", "good", cancellationToken: Token);
        await Eventually.TrueAsync(() => received.Items.Contains("good"), "message after the failing one is delivered");
        Assert.Equal(1, channel.Statistics.HandlerFailures);
    }

    [Fact]
    public async Task Subscribe_Cancelled_TaskCompletesWithoutThrowing()
    {
        var channel = new HydrateChannel<string>(_bus, "cancel");
        using var stop = new CancellationTokenSource();
        var running = channel.SubscribeAsync((_, _) => ValueTask.CompletedTask, stop.Token);
        await Task.Delay(20, Token);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(5), Token);
        Assert.True(running.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Publish_WithLocalCache_ReadYourWritesAndEchoAppliedOnce()
    {
        using var cache = new LocalHydratedCache<string>();
        var changes = 0;
        cache.Changed += (_, _) => Interlocked.Increment(ref changes);
        var channel = new HydrateChannel<string>(_bus, "ryw", new HydrateChannelOptions<string> { LocalCache = cache });
        var echoes = new MessageCollector<HydrateApplyResult>();
        _ = channel.SubscribeAsync((m, _) =>
        {
            echoes.Add(cache.Apply(m));
            return ValueTask.CompletedTask;
        }, Token);

        await channel.PublishAsync("k", "v", cancellationToken: Token);

        // Visible as soon as the publish returns, whether or not the transport's echo came first.
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("v", value);
        await echoes.WaitForCountAsync(1);
        Assert.Equal(1, Volatile.Read(ref changes));
    }

    [Fact]
    public async Task HydrateAsync_TwoProcessesRacingOnOneKey_ConvergeOnGreatestVersion()
    {
        using var cacheA = new LocalHydratedCache<string>();
        using var cacheB = new LocalHydratedCache<string>();
        var a = new HydrateChannel<string>(_bus, "converge", new() { LocalCache = cacheA });
        var b = new HydrateChannel<string>(_bus, "converge", new() { LocalCache = cacheB });
        _ = a.HydrateAsync(cacheA, Token);
        _ = b.HydrateAsync(cacheB, Token);

        // Concurrent writes: neither writer waits to see the other's, so "last sent" is meaningless; the total
        // order of versions (timestamp, counter, sender) decides, identically everywhere.
        var sent = new List<TypedMessage<string>>();
        for (var i = 0; i < 100; i++)
        {
            var writer = i % 2 == 0 ? a : b;
            var message = writer.CreateUpsert("k", $"v{i}");
            sent.Add(message);
            await writer.SendAsync(message, Token);
        }

        var winner = sent.Aggregate((x, y) => x.CompareVersion(y) >= 0 ? x : y);
        await Eventually.TrueAsync(
            () => cacheA.TryGetEntry("k", out var x) && x.Version == winner.Version && x.Value == winner.Payload
                && cacheB.TryGetEntry("k", out var y) && y.Version == winner.Version && y.Value == winner.Payload,
            "both caches hold the write with the greatest version");
    }

    [Fact]
    public async Task HydrateAsync_CausalWritesFromTwoProcesses_LastWriteWinsEverywhere()
    {
        using var cacheA = new LocalHydratedCache<string>();
        using var cacheB = new LocalHydratedCache<string>();
        var a = new HydrateChannel<string>(_bus, "causal", new() { LocalCache = cacheA });
        var b = new HydrateChannel<string>(_bus, "causal", new() { LocalCache = cacheB });
        _ = a.HydrateAsync(cacheA, Token);
        _ = b.HydrateAsync(cacheB, Token);

        for (var i = 0; i < 50; i++)
        {
            var value = $"v{i}";
            await (i % 2 == 0 ? a : b).PublishAsync("k", value, cancellationToken: Token);

            // Each writer has seen the previous write before it writes: its version must be greater.
            await Eventually.TrueAsync(() => cacheA.TryGet("k", out var x) && x == value && cacheB.TryGet("k", out var y) && y == value, $"{value} reaches both");
        }
    }

    [Fact]
    public async Task Receive_NewerVersionFromFastClock_LaterLocalWriteStillWins()
    {
        var slowTime = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        // 30 seconds ahead: far enough to outrun the slow clock, within the default MaxClockSkew (further is dropped).
        var fastTime = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(31_000));
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = slowTime, SweepInterval = TimeSpan.Zero });
        var slow = new HydrateChannel<string>(_bus, "hlc", new() { TimeProvider = slowTime, LocalCache = cache });
        var fast = new HydrateChannel<string>(_bus, "hlc", new() { TimeProvider = fastTime });
        _ = slow.HydrateAsync(cache, Token);
        await Task.Delay(20, Token);

        await fast.PublishAsync("k", "from fast clock", cancellationToken: Token);
        await Eventually.TrueAsync(() => cache.TryGet("k", out var v) && v == "from fast clock", "fast write arrives");

        // The slow silo saw the fast version, so its causally later write gets a greater version.
        await slow.PublishAsync("k", "later write", cancellationToken: Token);
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("later write", value);
    }

    [Fact]
    public async Task Publish_OverChannelLimit_ThrowsTypedException()
    {
        var channel = new HydrateChannel<byte[]>(_bus, "big", new() { MaxMessageBytes = 1024 });
        var ex = await Assert.ThrowsAsync<HydratePayloadTooLargeException>(async () => await channel.PublishAsync("k", new byte[2000], cancellationToken: Token));
        Assert.Equal(1024, ex.Limit);
        Assert.True(ex.Size > 2000);
        Assert.Equal(0, channel.Statistics.Published);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void CreateUpsert_EmptyKey_Throws(string? key)
    {
        var channel = new HydrateChannel<string>(_bus, "keys");
        Assert.ThrowsAny<ArgumentException>(() => channel.CreateUpsert(key!, "v"));
    }

    [Fact]
    public void CreateUpsert_ZeroTtl_Throws()
    {
        var channel = new HydrateChannel<string>(_bus, "ttl");
        Assert.Throws<ArgumentOutOfRangeException>(() => channel.CreateUpsert("k", "v", new Ttl(DateTimeOffset.UtcNow, TimeSpan.Zero)));
    }

    [Fact]
    public async Task Publish_TwoChannels_NeverLeakIntoEachOther()
    {
        var prices = new HydrateChannel<string>(_bus, "prices");
        var stock = new HydrateChannel<string>(_bus, "stock");
        var pricesReceived = await LiveSubscriberAsync(new HydrateChannel<string>(_bus, "prices"));
        var stockReceived = await LiveSubscriberAsync(new HydrateChannel<string>(_bus, "stock"));
        await prices.PublishAsync("k", "price", cancellationToken: Token);
        await stock.PublishAsync("k", "stock", cancellationToken: Token);
        Assert.Equal("price", (await pricesReceived.WaitForCountAsync(1))[0].Payload);
        Assert.Equal("stock", (await stockReceived.WaitForCountAsync(1))[0].Payload);
        await Task.Delay(50, Token);
        Assert.Equal(1, pricesReceived.Count);
        Assert.Equal(1, stockReceived.Count);
    }

    [Fact]
    public void Constructor_UnsupportedType_FailsNamingTheType()
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new HydrateChannel<Unsupported>(_bus, "bad"));
        Assert.Contains(nameof(Unsupported), ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Unsupported.Anything), ex.Message, StringComparison.Ordinal);
    }

    public sealed class Unsupported
    {
        public object? Anything { get; set; }
    }
}
