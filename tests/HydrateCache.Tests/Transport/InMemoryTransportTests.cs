using HydrateCache.TestKit;

namespace HydrateCache.Tests.Transport;

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class InMemoryTransportConformanceTests : TransportConformanceTests
{
    // One bus per test: every "connection" of a test is the same in-process bus.
    private readonly InMemoryTransport _bus = new(new InMemoryTransportOptions { MaxMessageBytes = 4 * 1024 * 1024 });

    protected override int MaxMessageBytes => 4 * 1024 * 1024;

    protected override ValueTask<ITransport> ConnectAsync() => ValueTask.FromResult<ITransport>(_bus);
}

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class InMemoryTransportTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoInstances_AreIndependentBuses()
    {
        await using var first = new InMemoryTransport();
        await using var second = new InMemoryTransport();
        var received = new MessageCollector<byte[]>();
        await second.SubscribeAsync("topic", (m, _) =>
        {
            received.Add(m.Body.ToArray());
            return ValueTask.CompletedTask;
        }, Token);
        await first.PublishAsync("topic", new byte[] { 1 }, Token);
        await second.PublishAsync("topic", new byte[] { 2 }, Token);
        await received.WaitForCountAsync(1);
        await Task.Delay(50, Token);
        Assert.Equal([new byte[] { 2 }], received.Items);
    }

    [Fact]
    public async Task Publish_CallerReusesBuffer_SubscriberSeesOriginalBytes()
    {
        await using var bus = new InMemoryTransport();
        var gate = new TaskCompletionSource();
        var received = new MessageCollector<byte[]>();
        await bus.SubscribeAsync("topic", async (m, _) =>
        {
            await gate.Task;
            received.Add(m.Body.ToArray());
        }, Token);
        var buffer = new byte[] { 1, 2, 3 };
        await bus.PublishAsync("topic", buffer, Token);
        buffer[0] = 99;
        gate.SetResult();
        Assert.Equal(new byte[] { 1, 2, 3 }, (await received.WaitForCountAsync(1))[0]);
    }

    [Fact]
    public async Task Publish_SubscriptionFull_PublisherWaitsInsteadOfDropping()
    {
        await using var bus = new InMemoryTransport(new InMemoryTransportOptions { SubscriptionBuffer = new() { MaxMessages = 2, OverflowPolicy = TransportOverflowPolicy.Wait } });
        var gate = new TaskCompletionSource();
        var received = new MessageCollector<int>();
        await bus.SubscribeAsync("topic", async (m, _) =>
        {
            await gate.Task;
            received.Add(m.Body.Span[0]);
        }, Token);

        for (byte i = 0; i < 3; i++)
        {
            await bus.PublishAsync("topic", new[] { i }, Token);
        }

        var blocked = bus.PublishAsync("topic", new byte[] { 3 }, Token).AsTask();
        await Task.Delay(50, Token);
        Assert.False(blocked.IsCompleted);
        gate.SetResult();
        await blocked;
        Assert.Equal([0, 1, 2, 3], await received.WaitForCountAsync(4));
    }

    [Fact]
    public async Task DisposeSubscription_FromInsideItsHandler_DoesNotDeadlock()
    {
        await using var bus = new InMemoryTransport();
        var done = new TaskCompletionSource();
        ITransportSubscription? subscription = null;
        subscription = await bus.SubscribeAsync("topic", async (_, _) =>
        {
            await subscription!.DisposeAsync();
            done.SetResult();
        }, Token);
        await bus.PublishAsync("topic", new byte[] { 1 }, Token);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(5), Token);
    }

    [Fact]
    public async Task Publish_AfterDispose_Throws()
    {
        var bus = new InMemoryTransport();
        await bus.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await bus.PublishAsync("topic", new byte[] { 1 }, Token));
    }
}
