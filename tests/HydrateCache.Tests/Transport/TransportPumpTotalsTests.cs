using HydrateCache.TestKit;

namespace HydrateCache.Tests.Transport;

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class TransportPumpTotalsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A handler that throws for every message (not for loss notices).</summary>
    private static ValueTask ThrowOnMessage(TransportMessage message, CancellationToken cancellationToken) =>
        message.IsLossNotice ? ValueTask.CompletedTask : throw new InvalidOperationException("handler failure");

    [Fact]
    public async Task Totals_LiveAndRetiredPumps_SumsBothAndKeepsRetiredFinalCounts()
    {
        var totals = new TransportPumpTotals();
        var first = new TransportSubscriptionPump("a", ThrowOnMessage);
        await using var second = new TransportSubscriptionPump("b", ThrowOnMessage);
        totals.Track(first);
        totals.Track(second);
        totals.Track(first);

        first.ReportLost(3);
        second.ReportLost(2);
        first.TryPost(new byte[] { 1 });
        await Eventually.TrueAsync(() => first.HandlerFailures == 1, "the first pump's handler failed");
        Assert.Equal(5, totals.LostCount);
        Assert.Equal(1, totals.HandlerFailures);

        await first.DisposeAsync();
        totals.Retire(first);
        totals.Retire(first);
        Assert.Equal(1, totals.TrackedCount);
        Assert.Equal(5, totals.LostCount);
        Assert.Equal(1, totals.HandlerFailures);

        second.ReportLost(4);
        second.TryPost(new byte[] { 2 });
        await Eventually.TrueAsync(() => second.HandlerFailures == 1, "the second pump's handler failed");
        Assert.Equal(9, totals.LostCount);
        Assert.Equal(2, totals.HandlerFailures);

        // A pump that was never tracked is ignored.
        await using var stranger = new TransportSubscriptionPump("c", ThrowOnMessage);
        stranger.ReportLost(7);
        await stranger.DisposeAsync();
        totals.Retire(stranger);
        Assert.Equal(9, totals.LostCount);
        Assert.Equal(1, totals.TrackedCount);
    }

    [Fact]
    public async Task Retire_HandlerDisposesItsPumpThenThrows_FailureIsCounted()
    {
        // What a transport does when the handler disposes its own subscription: the pump's DisposeAsync returns at once
        // (it cannot wait for the handler that called it), the transport retires the pump, then the handler throws.
        var totals = new TransportPumpTotals();
        var retired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TransportSubscriptionPump? pump = null;
        pump = new TransportSubscriptionPump("t", async (_, _) =>
        {
            await pump!.DisposeAsync();
            totals.Retire(pump);
            retired.SetResult();
            await release.Task;
            throw new InvalidOperationException("handler failure after unsubscribing");
        });
        totals.Track(pump);

        pump.TryPost(new byte[] { 1 });
        await retired.Task.WaitAsync(TimeSpan.FromSeconds(10), Token);

        // The loop is still running the handler: the pump is still read live.
        Assert.Equal(1, totals.TrackedCount);
        Assert.Equal(0, totals.HandlerFailures);

        release.SetResult();
        await pump.Completion.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await Eventually.TrueAsync(() => totals.TrackedCount == 0, "the pump is forgotten once its loop ended");
        Assert.Equal(1, pump.HandlerFailures);
        Assert.Equal(1, totals.HandlerFailures);
    }

    [Fact]
    public async Task Retire_BeforeDispose_FoldsWhenThePumpIsDisposed()
    {
        var totals = new TransportPumpTotals();
        var pump = new TransportSubscriptionPump("t", ThrowOnMessage);
        totals.Track(pump);
        totals.Retire(pump);

        pump.ReportLost(2);
        Assert.Equal(2, totals.LostCount);
        Assert.Equal(1, totals.TrackedCount);

        await pump.DisposeAsync();
        await Eventually.TrueAsync(() => totals.TrackedCount == 0, "the pump is forgotten once disposed");
        Assert.Equal(2, totals.LostCount);
    }

    [Fact]
    public void TrackAndRetire_Null_Throw()
    {
        var totals = new TransportPumpTotals();
        Assert.Throws<ArgumentNullException>(() => totals.Track(null!));
        Assert.Throws<ArgumentNullException>(() => totals.Retire(null!));
    }
}
