using HydrateCache.TestKit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Transport;

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class TransportSubscriptionPumpTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A handler that records what it gets and holds the first message until released.</summary>
    private sealed class GatedHandler
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public MessageCollector<(byte First, int Length, long LostBefore)> Received { get; } = new();

        public Task Entered => _entered.Task;

        public async ValueTask HandleAsync(TransportMessage message, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await Gate.Task.WaitAsync(cancellationToken);
            Received.Add((message.Body.IsEmpty ? (byte)0 : message.Body.Span[0], message.Body.Length, message.LostBefore));
        }
    }

    private static byte[] Message(byte id, int length)
    {
        var body = new byte[length];
        body[0] = id;
        return body;
    }

    [Fact]
    public async Task DropOldest_ByteBound_KeepsNewestWithinBytesAndReportsLossInBand()
    {
        var handler = new GatedHandler();
        await using var pump = new TransportSubscriptionPump("t", handler.HandleAsync, new SubscriptionBufferOptions { MaxMessages = 1_000, MaxBytes = 100 });

        Assert.True(pump.TryPost(Message(0, 30)));
        await handler.Entered.WaitAsync(Token);

        // Message 0 is in the handler; the buffer holds at most 100 bytes = three 30-byte messages.
        for (byte i = 1; i <= 9; i++)
        {
            Assert.True(pump.TryPost(Message(i, 30)));
            Assert.True(pump.BufferedBytes <= 100, $"buffered {pump.BufferedBytes} bytes");
        }

        Assert.Equal(3, pump.BufferedCount);
        Assert.Equal(90, pump.BufferedBytes);
        Assert.Equal(6, pump.LostCount);

        handler.Gate.SetResult();
        var received = await handler.Received.WaitForCountAsync(4);
        Assert.Equal([(0, 30, 0L), (7, 30, 6L), (8, 30, 0L), (9, 30, 0L)], received);
        Assert.Equal(0, pump.BufferedBytes);
    }

    [Fact]
    public async Task DropOldest_CountBound_DropsOldestAndCountsEachLoss()
    {
        var handler = new GatedHandler();
        await using var pump = new TransportSubscriptionPump("t", handler.HandleAsync, new SubscriptionBufferOptions { MaxMessages = 2 });

        pump.TryPost(Message(0, 1));
        await handler.Entered.WaitAsync(Token);
        for (byte i = 1; i <= 5; i++)
        {
            pump.TryPost(Message(i, 1));
        }

        Assert.Equal(2, pump.BufferedCount);
        Assert.Equal(3, pump.LostCount);
        handler.Gate.SetResult();
        Assert.Equal([(0, 1, 0L), (4, 1, 3L), (5, 1, 0L)], await handler.Received.WaitForCountAsync(3));
        Assert.Equal(3, pump.DeliveredCount);
    }

    [Fact]
    public async Task Wait_BufferFullByBytes_ProducerWaitsAndNothingIsLost()
    {
        var handler = new GatedHandler();
        await using var pump = new TransportSubscriptionPump(
            "t", handler.HandleAsync, new SubscriptionBufferOptions { MaxBytes = 64, OverflowPolicy = TransportOverflowPolicy.Wait });

        await pump.PostAsync(Message(0, 40), Token);
        await handler.Entered.WaitAsync(Token);
        await pump.PostAsync(Message(1, 40), Token);

        Assert.False(pump.TryPost(Message(2, 40)));
        var blocked = pump.PostAsync(Message(2, 40), Token).AsTask();
        await Task.Delay(50, Token);
        Assert.False(blocked.IsCompleted, "a producer must wait while the buffer holds 40 of 64 bytes and another 40 arrive");

        handler.Gate.SetResult();
        await blocked.WaitAsync(Token);
        Assert.Equal([(0, 40, 0L), (1, 40, 0L), (2, 40, 0L)], await handler.Received.WaitForCountAsync(3));
        Assert.Equal(0, pump.LostCount);
    }

    [Fact]
    public async Task MessageLargerThanByteBound_IsAcceptedIntoEmptyBuffer()
    {
        var received = new MessageCollector<int>();
        await using var pump = new TransportSubscriptionPump(
            "t",
            (m, _) =>
            {
                received.Add(m.Body.Length);
                return ValueTask.CompletedTask;
            },
            new SubscriptionBufferOptions { MaxBytes = 10, OverflowPolicy = TransportOverflowPolicy.Wait });

        await pump.PostAsync(new byte[1000], Token);
        Assert.Equal([1000], await received.WaitForCountAsync(1));
        Assert.Equal(0, pump.LostCount);
    }

    [Fact]
    public async Task ReportLost_DeliversLossNoticeAfterBufferedMessages()
    {
        var handler = new GatedHandler();
        await using var pump = new TransportSubscriptionPump("t", handler.HandleAsync);
        pump.TryPost(Message(1, 3));
        await handler.Entered.WaitAsync(Token);
        pump.TryPost(Message(2, 3));
        pump.ReportLost(5);
        pump.ReportLost(0);

        handler.Gate.SetResult();
        Assert.Equal([(1, 3, 0L), (2, 3, 0L), (0, 0, 5L)], await handler.Received.WaitForCountAsync(3));
        Assert.Equal(5, pump.LostCount);
        Assert.Equal(2, pump.DeliveredCount);
    }

    [Fact]
    public async Task HandlerThrows_IsCountedAndLogged_AndNextMessageIsDelivered()
    {
        var logs = new CapturingLoggerFactory();
        var received = new MessageCollector<byte>();
        await using var pump = new TransportSubscriptionPump(
            "t",
            (m, _) =>
            {
                if (m.Body.Span[0] == 1)
                {
                    throw new InvalidOperationException("boom");
                }

                received.Add(m.Body.Span[0]);
                return ValueTask.CompletedTask;
            },
            logger: logs.CreateLogger("pump"));

        pump.TryPost(new byte[] { 1 });
        pump.TryPost(new byte[] { 2 });
        Assert.Equal([(byte)2], await received.WaitForCountAsync(1));
        Assert.Equal(1, pump.HandlerFailures);
        Assert.Equal(1, logs.Count(HydrateEventId.SubscriptionHandlerFailed));
    }

    [Fact]
    public async Task Dispose_FromInsideHandler_ReturnsAndStopsDelivery()
    {
        var calls = 0;
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TransportSubscriptionPump? pump = null;
        pump = new TransportSubscriptionPump("t", async (_, _) =>
        {
            Interlocked.Increment(ref calls);
            await pump!.DisposeAsync();
            disposed.TrySetResult();
        });

        pump.TryPost(new byte[] { 1 });
        pump.TryPost(new byte[] { 2 });
        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);
        pump.TryPost(new byte[] { 3 });
        await Task.Delay(50, Token);
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.True(pump.Stopping.IsCancellationRequested);
    }

    [Fact]
    public async Task Dispose_WaitsForHandlerInProgress_AndReleasesWaitingProducer()
    {
        var handler = new GatedHandler();
        var pump = new TransportSubscriptionPump(
            "t", handler.HandleAsync, new SubscriptionBufferOptions { MaxMessages = 1, OverflowPolicy = TransportOverflowPolicy.Wait });
        await pump.PostAsync(Message(0, 1), Token);
        await handler.Entered.WaitAsync(Token);
        await pump.PostAsync(Message(1, 1), Token);
        var waiting = pump.PostAsync(Message(2, 1), Token).AsTask();

        await pump.DisposeAsync();

        // The handler saw the cancellation; the waiting producer returned (its message discarded, not lost).
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(0, handler.Received.Count);
        Assert.Equal(0, pump.BufferedCount);
        Assert.Equal(0, pump.LostCount);
    }

    [Fact]
    public async Task LossLog_IsRateLimitedOnInjectedClock_AndCountsEveryLoss()
    {
        var logs = new CapturingLoggerFactory();
        var time = new FakeTimeProvider();
        await using var pump = new TransportSubscriptionPump(
            "t",
            (_, _) => ValueTask.CompletedTask,
            new SubscriptionBufferOptions { LossLogInterval = TimeSpan.FromSeconds(10) },
            logs.CreateLogger("pump"),
            time);

        pump.ReportLost(1);
        pump.ReportLost(2);
        pump.ReportLost(3);
        Assert.Single(logs.WithId(HydrateEventId.SubscriptionMessagesLost));

        time.Advance(TimeSpan.FromSeconds(10));
        pump.ReportLost(4);
        var entries = logs.WithId(HydrateEventId.SubscriptionMessagesLost);
        Assert.Equal(2, entries.Count);
        Assert.Equal(LogLevel.Warning, entries[1].Level);

        // The second report carries the losses held back since the first (2 + 3) and this one (4).
        Assert.Contains("lost 9 messages", entries[1].Message, StringComparison.Ordinal);
        Assert.Equal(10, pump.LostCount);
    }

    [Fact]
    public async Task Channel_CountsTransportLoss_InStatisticsByReason()
    {
        var options = new InMemoryTransportOptions
        {
            SubscriptionBuffer = new SubscriptionBufferOptions { MaxMessages = 1, OverflowPolicy = TransportOverflowPolicy.DropOldest },
        };
        await using var bus = new InMemoryTransport(options);

        // The in-memory bus drops inside PublishAsync (it has no drop counter of its own): nothing to wait for.
        await ChannelLossScenario.AssertLossCountedAsync(bus, bus, "c", transportDropped: null);
    }
}
