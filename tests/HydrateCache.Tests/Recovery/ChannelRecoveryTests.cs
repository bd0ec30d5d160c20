using HydrateCache.TestKit;

namespace HydrateCache.Tests.Recovery;

/// <summary>Loss recovery of <see cref="HydrateChannel{T}"/> end to end on the in-memory bus, with losses injected per receiver.</summary>
[TestSuite("BVT"), TestProvider("InMemory"), TestArea("Recovery")]
public class ChannelRecoveryTests : IAsyncLifetime
{
    private readonly InMemoryTransport _bus = new();
    private readonly List<HydrateChannel<string>> _channels = [];
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly List<Task> _hydrating = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private HydrateChannel<string> NewChannel(ITransport transport, Action<HydrateChannelOptions<string>>? configure = null)
    {
        var options = new HydrateChannelOptions<string>();
        options.Recovery.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        options.Recovery.NakDelay = TimeSpan.FromMilliseconds(50);
        options.Recovery.NakRetryInterval = TimeSpan.FromSeconds(1);
        options.Recovery.RetransmitHoldoff = TimeSpan.FromMilliseconds(500);
        configure?.Invoke(options);
        var channel = new HydrateChannel<string>(transport, "prices", options);
        _channels.Add(channel);
        return channel;
    }

    private async Task<(HydrateChannel<string> Channel, LocalHydratedCache<string> Cache)> NewReceiverAsync(ITransport transport, Action<HydrateChannelOptions<string>>? configure = null)
    {
        var channel = NewChannel(transport, configure);
        var cache = new LocalHydratedCache<string>();
        await channel.StartRecoveryAsync(receiving: true, Token);
        var subscribed = _bus.GetSubscriberCount(channel.Topic);
        _hydrating.Add(channel.HydrateAsync(cache, _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(channel.Topic) > subscribed, "the receiver subscribed");
        return (channel, cache);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_hydrating);
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        await _bus.DisposeAsync();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task LostTail_ThreeReceiversMissTheSameRange_EachMessageIsRetransmittedOnce()
    {
        var publisher = NewChannel(_bus);
        var receivers = new List<(HydrateChannel<string> Channel, LocalHydratedCache<string> Cache, LossyTransport Transport)>();
        for (var i = 0; i < 3; i++)
        {
            var lossy = new LossyTransport(_bus, sequence => sequence > 5);
            var (channel, cache) = await NewReceiverAsync(lossy);
            receivers.Add((channel, cache, lossy));
        }

        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        await Eventually.TrueAsync(() => receivers.All(r => r.Cache.Count == 10), "every receiver holds all ten");

        Assert.All(receivers, r => Assert.Equal(5, r.Transport.Killed));
        // The lost tail is revealed by the publisher's heartbeat, not by later data.
        Assert.All(receivers, r => Assert.Equal(5, r.Channel.Statistics.Gaps));
        Assert.All(receivers, r => Assert.Equal(5, r.Channel.Statistics.Recovered));

        // One retransmission per lost message, not one per receiver: the hold-off (500 ms) outlasts every receiver's request.
        Assert.Equal(5, publisher.Statistics.Retransmitted);
        Assert.InRange(receivers.Sum(r => r.Channel.Statistics.RetransmitRequests), 1, 3);
    }

    [Fact]
    public async Task MissedRange_SenderNoLongerHoldsIt_LossDetectedRaisedAndCountedAsUnrecovered()
    {
        var publisher = NewChannel(_bus, o => o.Recovery.RetransmitWindowMessages = 5);
        var lossy = new LossyTransport(_bus, sequence => sequence is >= 3 and <= 7);
        var (receiver, cache) = await NewReceiverAsync(lossy);
        var losses = new List<HydrateLossEventArgs>();
        receiver.LossDetected += (_, e) =>
        {
            lock (losses)
            {
                losses.Add(e);
            }
        };

        for (var i = 1; i <= 20; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        // The count rises just before the event is raised (on the receive thread): wait for both.
        await Eventually.TrueAsync(
            () =>
            {
                lock (losses)
                {
                    return receiver.Statistics.Unrecovered == 5 && losses.Count > 0;
                }
            },
            "the five evicted messages were given up and reported");

        Assert.Equal(5, lossy.Killed);
        Assert.Equal(15, cache.Count);
        HydrateLossEventArgs loss;
        lock (losses)
        {
            loss = Assert.Single(losses);
        }

        Assert.Equal(HydrateLossReason.Unrecoverable, loss.Reason);
        Assert.Equal(publisher.SenderId, loss.SenderId);
        Assert.Equal(5, loss.Count);
        Assert.Equal(0UL, receiver.MissingSequences);
    }

    [Fact]
    public async Task PublishOnlyChannel_LaggingClock_LearnsTheClustersVersionsFromHeartbeats()
    {
        var lagging = new OffsetTimeProvider(TimeSpan.FromSeconds(-20));
        var writer = NewChannel(_bus);
        var laggingWriter = NewChannel(_bus, o => o.TimeProvider = lagging);
        var (_, cache) = await NewReceiverAsync(_bus);

        await writer.PublishAsync("k", "first", cancellationToken: Token);
        await laggingWriter.StartRecoveryAsync(receiving: false, Token);
        await Eventually.TrueAsync(() => writer.Statistics.HeartbeatsSent > 0, "the writer sent a heartbeat");
        await Task.Delay(100, Token);
        await laggingWriter.PublishAsync("k", "second", cancellationToken: Token);

        // Without the heartbeat, "second" would be versioned 20 s before "first" and rejected as stale.
        await Eventually.TrueAsync(() => cache.TryGet("k", out var value) && value == "second", "the later write wins");

        // It only publishes: it never asks for the messages its heartbeats told it about (it does not receive them).
        await Task.Delay(500, Token);
        Assert.Equal(0, laggingWriter.Statistics.RetransmitRequests);
        Assert.Equal(0, laggingWriter.Statistics.Unrecovered);
    }

    [Fact]
    public async Task FirstContact_ReceiverJoinsAfterTheSenderPublished_NothingFromBeforeIsRetransmitted()
    {
        var publisher = NewChannel(_bus);
        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        await Task.Delay(1100, Token);
        var (receiver, cache) = await NewReceiverAsync(_bus);
        await Eventually.TrueAsync(() => receiver.Statistics.RetransmitRequests > 0, "the receiver asked about the sender it heard of");
        await Eventually.TrueAsync(() => receiver.MissingSequences == 0, "the sender's floor cleared what came before");

        Assert.Equal(0, publisher.Statistics.Retransmitted);
        Assert.Equal(0, receiver.Statistics.Unrecovered);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task FirstContact_EveryMessageOfANewSenderLost_RecoveredFromItsHeartbeat()
    {
        var lossy = new LossyTransport(_bus, _ => true);
        var (receiver, cache) = await NewReceiverAsync(lossy);
        var publisher = NewChannel(_bus);
        for (var i = 1; i <= 3; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        await Eventually.TrueAsync(() => cache.Count == 3, "the receiver recovered the sender's only messages");

        Assert.Equal(3, lossy.Killed);
        Assert.Equal(3, publisher.Statistics.Retransmitted);
    }

    [Fact]
    public async Task ControlTopic_HostileFrames_AreCountedDrops_AndRecoveryKeepsWorking()
    {
        var publisher = NewChannel(_bus);
        var lossy = new LossyTransport(_bus, sequence => sequence == 2);
        var (receiver, cache) = await NewReceiverAsync(lossy);
        var random = new Random(11);
        for (var i = 0; i < 50; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            await _bus.PublishAsync(receiver.ControlTopic!, garbage, Token);
        }

        await _bus.PublishAsync(receiver.ControlTopic!, publisher.Encode(publisher.CreateUpsert("x", "update on the control topic")), Token);
        await publisher.PublishAsync("k1", "v1", cancellationToken: Token);
        await publisher.PublishAsync("k2", "v2", cancellationToken: Token);

        await Eventually.TrueAsync(() => cache.Count == 2, "the lost update was recovered after the garbage");
        await Eventually.TrueAsync(() => receiver.Statistics.Dropped >= 51, "every hostile control frame was counted");
        Assert.Equal(1, lossy.Killed);
    }

    [Fact]
    public async Task OnArrived_FramesQueuedLocallyBeforeApply_AreNotRequestedAgain()
    {
        // Two receivers that hold the publisher's three frames in a local queue, not applied yet (as a silo's pulling
        // agent does): the one told of their arrival asks for nothing; the one that is not asks for all three.
        var told = NewChannel(_bus);
        var untold = NewChannel(_bus);
        await told.StartRecoveryAsync(receiving: true, Token);
        await untold.StartRecoveryAsync(receiving: true, Token);
        var publisher = NewChannel(_bus);
        for (var i = 1; i <= 3; i++)
        {
            var message = publisher.CreateUpsert($"k{i}", $"v{i}");
            await publisher.SendAsync(message, Token);
            told.OnArrived(new TransportMessage(publisher.Topic, publisher.Encode(message)));
        }

        await Eventually.TrueAsync(() => untold.Statistics.RetransmitRequests > 0, "the receiver not told asked for the frames its heartbeat announced");

        Assert.Equal(0, told.Statistics.RetransmitRequests);
        Assert.Equal(0UL, told.MissingSequences);
    }

    [Fact]
    public async Task Disabled_NoControlTopicSubscription_NoHeartbeats()
    {
        var publisher = NewChannel(_bus, o => o.Recovery.Enabled = false);
        await publisher.PublishAsync("k", "v", cancellationToken: Token);
        await Task.Delay(300, Token);

        Assert.Null(publisher.ControlTopic);
        Assert.Equal(0, _bus.GetSubscriberCount("prices" + ".control"));
        Assert.Equal(0, publisher.Statistics.HeartbeatsSent);
    }

    [Fact]
    public async Task Dispose_StopsHeartbeatsAndLeavesTheControlTopic()
    {
        var publisher = NewChannel(_bus);
        await publisher.PublishAsync("k", "v", cancellationToken: Token);
        await Eventually.TrueAsync(() => publisher.Statistics.HeartbeatsSent > 0 && _bus.GetSubscriberCount(publisher.ControlTopic!) == 1, "the publisher runs recovery");

        await publisher.DisposeAsync();
        var sent = publisher.Statistics.HeartbeatsSent;
        await Task.Delay(300, Token);

        Assert.Equal(sent, publisher.Statistics.HeartbeatsSent);
        Assert.Equal(0, _bus.GetSubscriberCount(publisher.ControlTopic!));
    }

    /// <summary>
    /// Recovery with signing on: heartbeats and NAKs are signed and verified, retransmissions (the original signed bytes)
    /// verify at every receiver, and forged control frames (unsigned, or signed with an unknown key) are counted drops
    /// that make nobody ask for, or resend, anything.
    /// </summary>
    [Fact]
    public async Task Signed_LostTailIsRetransmittedAndVerifies_ForgedControlFramesAreDropped()
    {
        static void Sign(HydrateChannelOptions<string> options) => options.Security.SigningKeys.Add(SecurityTestKeys.Signing("s1"));
        var publisher = NewChannel(_bus, Sign);
        await publisher.StartRecoveryAsync(receiving: false, Token);
        var receivers = new List<(HydrateChannel<string> Channel, LocalHydratedCache<string> Cache, LossyTransport Transport)>();
        for (var i = 0; i < 2; i++)
        {
            var lossy = new LossyTransport(_bus, sequence => sequence is 3 or > 8);
            var (channel, cache) = await NewReceiverAsync(lossy, Sign);
            receivers.Add((channel, cache, lossy));
        }

        // A forger without the key announces a long tail of the publisher and asks it to resend everything.
        var forged = new[]
        {
            ControlFrame.Heartbeat(publisher.SenderId, 1000, 1, new HybridTimestamp(1, 0)).ToArray(),
            ControlFrame.Nak(publisher.SenderId, Guid.NewGuid(), 0, [new SequenceRange(1, 10)])
                .ToArray(SecurityTestKeys.Signing("forged"), FrameSignature.CreateDomain(publisher.ControlTopic!)),
        };
        foreach (var frame in forged)
        {
            await _bus.PublishAsync(publisher.ControlTopic!, frame, Token);
        }

        for (var i = 1; i <= 10; i++)
        {
            await publisher.PublishAsync($"k{i}", $"v{i}", cancellationToken: Token);
        }

        await Eventually.TrueAsync(() => receivers.All(r => r.Cache.Count == 10), "every receiver holds all ten");

        Assert.All(receivers, r => Assert.Equal(3, r.Transport.Killed));

        // A cold receiver may see the heartbeat before the data it announces and count that data recovered too.
        Assert.All(receivers, r => Assert.InRange(r.Channel.Statistics.Recovered, 3, 10));
        Assert.All(receivers, r => Assert.Equal(1, r.Channel.Statistics.GetDropped(HydrateDropReason.Unsigned)));
        Assert.All(receivers, r => Assert.Equal(1, r.Channel.Statistics.GetDropped(HydrateDropReason.UnknownKey)));
        Assert.Equal(1, publisher.Statistics.GetDropped(HydrateDropReason.Unsigned));
        Assert.Equal(1, publisher.Statistics.GetDropped(HydrateDropReason.UnknownKey));
        Assert.InRange(publisher.Statistics.Retransmitted, 3, 6);
        Assert.All(receivers, r => Assert.Equal(0, r.Channel.Statistics.GetDropped(HydrateDropReason.BadSignature)));
    }

    private sealed class OffsetTimeProvider(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
