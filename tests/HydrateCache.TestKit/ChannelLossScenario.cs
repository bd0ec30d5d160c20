namespace HydrateCache.TestKit;

/// <summary>
/// The loss every lossy transport must report honestly: a channel subscriber whose transport buffer holds one message
/// and whose handler is blocked on the first one. Five updates are published: k0 sits in the handler, k4 is buffered,
/// k1..k3 are dropped. The scenario ends with the loss (nothing is published after it) and checks it is counted the
/// same way everywhere: by the transport, in band, and in the channel's statistics as <see cref="HydrateDropReason.TransportLoss"/>.
/// </summary>
public static class ChannelLossScenario
{
    /// <summary>Runs the scenario and asserts the three counts.</summary>
    /// <param name="publisherTransport">The publishing side.</param>
    /// <param name="subscriberTransport">The subscribing side, configured with a drop-oldest buffer of one message.</param>
    /// <param name="channelName">A channel name unique to the test.</param>
    /// <param name="transportDropped">Reads the subscriber transport's own drop counter; <see langword="null"/> for a
    /// transport that drops within <c>PublishAsync</c> and counts nothing itself (the in-memory bus).</param>
    /// <param name="subscribed">Waits until the transport subscription is established; <see langword="null"/> when the
    /// channel's "subscribed" log is enough.</param>
    public static async Task AssertLossCountedAsync(
        ITransport publisherTransport,
        ITransport subscriberTransport,
        string channelName,
        Func<long>? transportDropped,
        Func<Task>? subscribed = null)
    {
        var token = TestContext.Current.CancellationToken;
        var logs = new CapturingLoggerFactory();
        var publisher = new HydrateChannel<string>(publisherTransport, channelName);
        // This scenario is about counting the transport's loss; recovering it is ChannelRecoveryScenario's.
        var subscriberOptions = new HydrateChannelOptions<string> { LoggerFactory = logs };
        subscriberOptions.Recovery.Enabled = false;
        var subscriber = new HydrateChannel<string>(subscriberTransport, channelName, subscriberOptions);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new MessageCollector<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var subscription = subscriber.SubscribeAsync(
            async (m, ct) =>
            {
                entered.TrySetResult();
                await gate.Task.WaitAsync(ct);
                received.Add(m.Key);
            },
            stop.Token);
        await Eventually.TrueAsync(() => logs.Contains(HydrateEventId.ChannelSubscribed), "the channel subscribed");
        if (subscribed is not null)
        {
            await subscribed();
        }

        await publisher.PublishAsync("k0", "v", cancellationToken: token);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), token);
        for (var i = 1; i <= 4; i++)
        {
            await publisher.PublishAsync("k" + i, "v", cancellationToken: token);
        }

        // The handler holds k0; the one-message buffer keeps the newest, k4; k1..k3 are dropped.
        if (transportDropped is not null)
        {
            await Eventually.TrueAsync(() => transportDropped() == 3, "three messages were dropped");
        }

        gate.SetResult();
        Assert.Equal(["k0", "k4"], await received.WaitForCountAsync(2));
        Assert.Equal(publisher.Statistics.Published - received.Count, subscriber.Statistics.GetDropped(HydrateDropReason.TransportLoss));
        Assert.Equal(3, subscriber.Statistics.GetDropped(HydrateDropReason.TransportLoss));
        Assert.Equal(3, subscriber.Statistics.Dropped);
        await stop.CancelAsync();
        await subscription;
    }
}
