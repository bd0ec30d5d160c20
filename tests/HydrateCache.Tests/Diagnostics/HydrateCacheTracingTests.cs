using System.Diagnostics;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Diagnostics;

/// <summary>
/// The publish and process spans of the <see cref="HydrateCacheDiagnostics.ActivitySourceName"/> source, and the trace
/// context that travels in the envelope. One class, so its tests never run alongside each other: an activity listener
/// is process-wide, and one test proves what happens when there is none.
/// </summary>
[TestSuite("BVT"), TestProvider("InMemory"), TestArea("Diagnostics")]
public sealed class HydrateCacheTracingTests : IAsyncLifetime
{
    private readonly InMemoryTransport _bus = new();
    private readonly List<HydrateChannel<string>> _channels = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static string NewChannelName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private HydrateChannel<string> NewChannel(string name)
    {
        var channel = new HydrateChannel<string>(_bus, name);
        _channels.Add(channel);
        return channel;
    }

    private async Task<LocalHydratedCache<string>> NewReceiverAsync(string name)
    {
        var channel = NewChannel(name);
        var cache = new LocalHydratedCache<string>();
        var subscribed = _bus.GetSubscriberCount(channel.Topic);
        _running.Add(channel.HydrateAsync(cache, _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(channel.Topic) > subscribed, "the receiver subscribed");
        return cache;
    }

    /// <summary>Subscribes to the channel's topic on the bus itself, keeping copies of the raw frames.</summary>
    private async Task<MessageCollector<byte[]>> RawFramesAsync(string topic)
    {
        var frames = new MessageCollector<byte[]>();
        var subscription = await _bus.SubscribeAsync(topic, (message, _) =>
        {
            frames.Add(message.Body.ToArray());
            return ValueTask.CompletedTask;
        }, Token);
        _running.Add(Task.Run(async () =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await subscription.DisposeAsync();
        }));
        return frames;
    }

    private static HydrateEnvelope Envelope(byte[] frame)
    {
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, 1 << 20, out var envelope));
        return envelope;
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        await _bus.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task Publish_EveryReceiversProcessSpan_IsANewRootLinkedToThePublishSpan()
    {
        using var spans = new SpanRecorder();
        var name = NewChannelName("traced");
        var publisher = NewChannel(name);
        var first = await NewReceiverAsync(name);
        var second = await NewReceiverAsync(name);
        var frames = await RawFramesAsync(publisher.Topic);
        using var request = new Activity("request").Start(); // the application's span the write happens in

        await publisher.PublishAsync("k", "v", cancellationToken: Token);
        request.Stop();
        await Eventually.TrueAsync(() => first.Count == 1 && second.Count == 1 && spans.Stopped(name + " process", name).Count == 2, "both receivers processed the update");

        var publish = Assert.Single(spans.Stopped(name + " publish", name));
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(request.SpanId, publish.ParentSpanId);
        Assert.Equal("inmemory", publish.GetTagItem("messaging.system"));
        Assert.Equal(publisher.Topic, publish.GetTagItem("messaging.destination.name"));
        Assert.Equal("send", publish.GetTagItem("messaging.operation.type"));

        var envelope = Envelope(Assert.Single(await frames.WaitForCountAsync(1)));
        Assert.Equal(publish.Id, envelope.TraceParent);

        var processed = spans.Stopped(name + " process", name);
        Assert.All(processed, process =>
        {
            Assert.Equal(ActivityKind.Consumer, process.Kind);
            Assert.Null(process.ParentId);
            Assert.NotEqual(publish.TraceId, process.TraceId);
            var link = Assert.Single(process.Links);
            Assert.Equal(publish.TraceId, link.Context.TraceId);
            Assert.Equal(publish.SpanId, link.Context.SpanId);
            Assert.True(link.Context.IsRemote);
            Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
            Assert.Equal("applied", process.GetTagItem("hydratecache.result"));
            Assert.Equal(publisher.SenderId.ToString("N"), process.GetTagItem("hydratecache.sender"));
            Assert.Null(process.GetTagItem("hydratecache.key"));
        });
        Assert.NotEqual(processed[0].TraceId, processed[1].TraceId);
        Assert.Equal(2, spans.LinkedTo(publish).Count);
    }

    [Fact]
    public async Task Apply_UnderAnAmbientActivity_StartsARootAndRestoresTheAmbientActivity()
    {
        using var spans = new SpanRecorder();
        var name = NewChannelName("ambient");
        var publisher = NewChannel(name);
        var receiver = NewChannel(name);
        using var cache = new LocalHydratedCache<string>();
        var frames = await RawFramesAsync(publisher.Topic);
        await publisher.PublishAsync("k", "v", cancellationToken: Token);
        var frame = Assert.Single(await frames.WaitForCountAsync(1));

        using var ambient = new Activity("worker").Start();
        Assert.Equal(HydrateApplyResult.Applied, receiver.Apply(new TransportMessage(receiver.Topic, frame), cache));

        Assert.Same(ambient, Activity.Current);
        var process = Assert.Single(spans.Stopped(name + " process", name));
        Assert.Null(process.ParentId);
        Assert.Equal(Assert.Single(spans.Stopped(name + " publish", name)).SpanId, Assert.Single(process.Links).Context.SpanId);
    }

    [Fact]
    public async Task SubscribeAsync_HandlerRunsInTheProcessSpan_AndAFailureMarksItAnError()
    {
        using var spans = new SpanRecorder();
        var name = NewChannelName("handler");
        var publisher = NewChannel(name);
        var subscriber = NewChannel(name);
        var seen = new MessageCollector<string>();
        var subscribed = _bus.GetSubscriberCount(subscriber.Topic);
        _running.Add(subscriber.SubscribeAsync(
            (message, _) =>
            {
                seen.Add(Activity.Current?.OperationName ?? "none");
                return message.Key == "bad" ? throw new InvalidOperationException("handler bug (injected)") : ValueTask.CompletedTask;
            },
            _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(subscriber.Topic) > subscribed, "subscribed");

        await publisher.PublishAsync("good", "v", cancellationToken: Token);
        await publisher.PublishAsync("bad", "v", cancellationToken: Token);
        await Eventually.TrueAsync(() => spans.Stopped(name + " process", name).Count == 2, "both were processed");

        Assert.Equal([name + " process", name + " process"], seen.Items);
        var processed = spans.Stopped(name + " process", name);
        Assert.Equal(ActivityStatusCode.Unset, processed[0].Status);
        Assert.Equal(ActivityStatusCode.Error, processed[1].Status);
    }

    [Fact]
    public async Task Publish_WithoutListenerOrActivity_CreatesNoSpanAndWritesNoTraceContext()
    {
        Assert.Null(Activity.Current);
        var name = NewChannelName("quiet");
        var publisher = NewChannel(name);
        var subscriber = NewChannel(name);
        var frames = await RawFramesAsync(publisher.Topic);
        var seen = new MessageCollector<bool>();
        var subscribed = _bus.GetSubscriberCount(subscriber.Topic);
        _running.Add(subscriber.SubscribeAsync((_, _) =>
        {
            seen.Add(Activity.Current is null);
            return ValueTask.CompletedTask;
        }, _stop.Token));
        await Eventually.TrueAsync(() => _bus.GetSubscriberCount(subscriber.Topic) > subscribed, "subscribed");
        var message = publisher.CreateUpsert("k", "v");

        await publisher.SendAsync(message, Token);
        await Eventually.TrueAsync(() => seen.Count == 1, "the subscriber got it");
        await frames.WaitForCountAsync(1);

        var frame = Assert.Single(frames.Items);
        Assert.Equal(publisher.Encode(message), frame); // a 10-item v1 frame: no extensions
        Assert.Null(Envelope(frame).TraceParent);
        Assert.Equal([true], seen.Items); // no process span around the handler
    }

    [Fact]
    public async Task Publish_WithoutListenerUnderTheApplicationsActivity_CarriesThatContext()
    {
        var name = NewChannelName("app-span");
        var publisher = NewChannel(name);
        var frames = await RawFramesAsync(publisher.Topic);
        using var request = new Activity("request");
        request.TraceStateString = "vendor=1";
        request.Start();

        await publisher.PublishAsync("k", "v", cancellationToken: Token);

        var envelope = Envelope(Assert.Single(await frames.WaitForCountAsync(1)));
        Assert.Equal(request.Id, envelope.TraceParent);
        Assert.Equal("vendor=1", envelope.TraceState);
    }
}
