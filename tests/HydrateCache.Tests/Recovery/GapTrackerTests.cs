using HydrateCache.TestKit;

namespace HydrateCache.Tests.Recovery;

/// <summary>A receiver's gap bookkeeping, on timestamps in milliseconds (frequency 1,000).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Recovery")]
public class GapTrackerTests
{
    private const long SubscribedSince = 1_700_000_000_000;
    private static readonly Guid Self = new("00000000-0000-0000-0000-000000000001");
    private static readonly Guid Sender = new("00000000-0000-0000-0000-0000000000aa");
    private static readonly Guid Other = new("00000000-0000-0000-0000-0000000000bb");

    private static readonly HydrateRecoveryOptions Options = new()
    {
        NakDelay = TimeSpan.FromMilliseconds(200),
        NakRetryInterval = TimeSpan.FromMilliseconds(1000),
        HeartbeatInterval = TimeSpan.FromMilliseconds(1000),
        NakAttempts = 3,
        MaxTrackedSenders = 3,
    };

    private static GapTracker NewTracker() => new(Self, Options, 1000, new Random(7)) { SubscribedSince = SubscribedSince };

    private static (List<ControlFrame> Requests, List<(Guid Sender, ulong Count)> GivenUp) Collect(GapTracker tracker, long now)
    {
        var requests = new List<ControlFrame>();
        var givenUp = new List<(Guid, ulong)>();
        tracker.Collect(now, requests, givenUp, Self);
        return (requests, givenUp);
    }

    private static GapTracker TrackerHeard(ulong through)
    {
        var tracker = NewTracker();
        for (ulong sequence = 1; sequence <= through; sequence++)
        {
            tracker.OnData(Sender, sequence, 0);
        }

        return tracker;
    }

    [Fact]
    public void OnData_InOrder_NothingMissing()
    {
        var tracker = TrackerHeard(5);

        Assert.Equal(0UL, tracker.MissingCount);
        Assert.Null(tracker.NextDue());
    }

    [Fact]
    public void OnData_SkippedSequences_AreRequestedAfterTheDelay_NotBefore()
    {
        var tracker = TrackerHeard(3);
        tracker.OnData(Sender, 7, 1000);

        Assert.Equal(3UL, tracker.MissingCount);
        Assert.Empty(Collect(tracker, 1099).Requests);
        var request = Assert.Single(Collect(tracker, 1200).Requests);
        Assert.Equal(ControlKind.Nak, request.Kind);
        Assert.Equal(Sender, request.Sender);
        Assert.Equal(Self, request.Requester);
        Assert.Equal(0, request.Since);
        Assert.Equal([new SequenceRange(4, 6)], request.Ranges);
    }

    [Fact]
    public void OnData_GapFilledBeforeTheDelay_IsNeverRequested_AndCountsAsRecovered()
    {
        var tracker = TrackerHeard(3);
        tracker.OnData(Sender, 6, 1000);
        tracker.OnData(Sender, 5, 1010);
        tracker.OnData(Sender, 4, 1020);

        Assert.Equal(0UL, tracker.MissingCount);
        Assert.Equal(2, tracker.Recovered);
        Assert.Empty(Collect(tracker, 5000).Requests);
    }

    [Fact]
    public void OnData_PartOfARangeArrives_TheRestIsStillRequested()
    {
        var tracker = TrackerHeard(1);
        tracker.OnData(Sender, 10, 0);
        tracker.OnData(Sender, 5, 10);

        var request = Assert.Single(Collect(tracker, 300).Requests);
        Assert.Equal([new SequenceRange(2, 4), new SequenceRange(6, 9)], request.Ranges);
    }

    [Fact]
    public void OnData_OwnMessages_AreNotTracked()
    {
        var tracker = NewTracker();
        tracker.OnData(Self, 1, 0);
        tracker.OnData(Self, 9, 0);

        Assert.Equal(0, tracker.SenderCount);
    }

    [Fact]
    public void OnHeartbeat_LaterLastSequence_IsALostTail_RequestedAfterAHeartbeatIntervalMore()
    {
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 8, 1, 1000);

        Assert.Equal(3UL, tracker.MissingCount);
        Assert.Empty(Collect(tracker, 1500).Requests);
        var request = Assert.Single(Collect(tracker, 2200).Requests);
        Assert.Equal([new SequenceRange(6, 8)], request.Ranges);
    }

    [Fact]
    public void OnHeartbeat_TailAheadOfDataStillArriving_IsNotRequestedUntilTheDataStops()
    {
        // A burst: the heartbeat announces 100 while this receiver's backlog still delivers 6, 7, ... (queued, not lost).
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 100, 1, 1000);
        ulong next = 6;
        for (var now = 1100L; now <= 4000; now += 100)
        {
            tracker.OnData(Sender, next++, now);
            Assert.Empty(Collect(tracker, now).Requests);
        }

        // The data stops short of the tail: one heartbeat interval after the last arrival, the rest is asked for.
        Assert.Empty(Collect(tracker, 4999).Requests);
        var request = Assert.Single(Collect(tracker, 5000).Requests);
        Assert.Equal([new SequenceRange(next, 100)], request.Ranges);
    }

    [Fact]
    public void OnHeartbeat_DataSkipsInsideAnnouncedTail_TheSkippedPartIsRequestedWhileDataArrives()
    {
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 100, 1, 1000);
        tracker.OnData(Sender, 6, 1100);
        tracker.OnData(Sender, 9, 1200);

        // 7 and 8 were skipped by data that passed them: a real gap, requested although data keeps arriving.
        tracker.OnData(Sender, 10, 2100);
        var request = Assert.Single(Collect(tracker, 2300).Requests);
        Assert.Equal([new SequenceRange(7, 8)], request.Ranges);
    }

    [Fact]
    public void OnHeartbeat_SenderNoLongerHoldsAMissingRange_IsGivenUpAtOnce()
    {
        var tracker = TrackerHeard(2);
        tracker.OnData(Sender, 10, 0);

        Assert.Equal(4UL, tracker.OnHeartbeat(Sender, 10, 7, 100));

        Assert.Equal(3UL, tracker.MissingCount);
    }

    [Fact]
    public void OnHeartbeat_QueuedTailBelowTheSendersFloor_IsNotGivenUpWhileTheDataArrives()
    {
        // A backlog longer than the sender's window: the next heartbeat's floor passes the announced tail that is still
        // queued here. It arrives later; nothing was lost, so nothing may be reported unrecoverable.
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 100, 1, 1000);
        tracker.OnData(Sender, 6, 1900);

        Assert.Equal(0UL, tracker.OnHeartbeat(Sender, 200, 150, 2000));

        for (ulong sequence = 7; sequence <= 200; sequence++)
        {
            tracker.OnData(Sender, sequence, 2100);
        }

        Assert.Equal(0UL, tracker.MissingCount);
        Assert.Equal(195, tracker.Recovered); // 6 to 200: every one of them arrived after it was announced missing
    }

    [Fact]
    public void OnHeartbeat_TailBelowTheSendersFloor_AfterTheDataStopped_IsGivenUp()
    {
        // The same tail once the data has stopped for a heartbeat interval: lost, and the sender no longer holds it.
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 100, 1, 1000);
        tracker.OnData(Sender, 6, 1100);

        Assert.Equal(94UL, tracker.OnHeartbeat(Sender, 100, 101, 2100));

        Assert.Equal(0UL, tracker.MissingCount);
    }

    [Fact]
    public void OnHeartbeat_DataSkippedPastPartOfAQueuedTail_ThatPartIsGivenUpBelowTheFloor()
    {
        // Data that passed 7..8 shows they are not queued: below the floor they are lost, while 11.. is still on its way.
        var tracker = TrackerHeard(5);
        tracker.OnHeartbeat(Sender, 100, 1, 1000);
        tracker.OnData(Sender, 6, 1100);
        tracker.OnData(Sender, 9, 1200);
        tracker.OnData(Sender, 10, 1300);

        Assert.Equal(2UL, tracker.OnHeartbeat(Sender, 100, 50, 2000));

        Assert.Equal(90UL, tracker.MissingCount);
    }

    [Fact]
    public void Collect_UnansweredRequests_AreRetriedThenGivenUp()
    {
        var tracker = TrackerHeard(1);
        tracker.OnData(Sender, 4, 0);

        Assert.Single(Collect(tracker, 200).Requests);
        Assert.Empty(Collect(tracker, 1100).Requests);
        Assert.Single(Collect(tracker, 1200).Requests);
        Assert.Single(Collect(tracker, 2200).Requests);
        var (requests, givenUp) = Collect(tracker, 3200);

        Assert.Empty(requests);
        Assert.Equal([(Sender, 2UL)], givenUp);
        Assert.Equal(0UL, tracker.MissingCount);
    }

    [Fact]
    public void OnNakSeen_AnotherReceiverAskedFirst_ThisOneWaitsForTheRetransmission()
    {
        var tracker = TrackerHeard(1);
        tracker.OnData(Sender, 4, 0);

        tracker.OnNakSeen(Sender, 0, [new(2, 3)], 50);

        Assert.Empty(Collect(tracker, 300).Requests);
        Assert.Single(Collect(tracker, 1050).Requests);
    }

    [Fact]
    public void OnNakReply_VoidRangesAreNotMissing_LostRangesAreGivenUp()
    {
        var tracker = TrackerHeard(1);
        tracker.OnData(Sender, 10, 0);

        Assert.Equal(3UL, tracker.OnNakReply(Sender, Self, 0, lost: [new(2, 4)], voided: [new(5, 6)]));

        Assert.Equal(3UL, tracker.MissingCount);
        Assert.Equal([new SequenceRange(7, 9)], Assert.Single(Collect(tracker, 300).Requests).Ranges);
    }

    [Fact]
    public void FirstContact_MidStream_AsksSinceItSubscribed_AndTheFloorClearsWhatCameBefore()
    {
        var tracker = NewTracker();
        tracker.OnData(Sender, 50, 0);

        var request = Assert.Single(Collect(tracker, 300).Requests);
        Assert.Equal(SubscribedSince, request.Since);
        Assert.Equal([new SequenceRange(1, 49)], request.Ranges);

        // The sender published 45.. after this receiver subscribed; 45..49 arrive retransmitted.
        Assert.Equal(0UL, tracker.OnNakReply(Sender, Self, 45, [], []));
        for (ulong sequence = 45; sequence < 50; sequence++)
        {
            tracker.OnData(Sender, sequence, 400);
        }

        Assert.Equal(0UL, tracker.MissingCount);
    }

    [Fact]
    public void FirstContact_AnotherReceiversFloor_DoesNotClearThisOnesRange()
    {
        var tracker = NewTracker();
        tracker.OnData(Sender, 50, 0);

        tracker.OnNakReply(Sender, Other, 45, [], []);

        Assert.Equal(49UL, tracker.MissingCount);
    }

    [Fact]
    public void FirstContact_NotYetSubscribed_IsNotTracked()
    {
        var tracker = new GapTracker(Self, Options, 1000);
        tracker.OnData(Sender, 50, 0);

        Assert.Equal(0UL, tracker.MissingCount);
    }

    [Fact]
    public void AddMissing_MoreRangesThanKept_MergesTheClosest()
    {
        var tracker = TrackerHeard(1);
        for (ulong i = 1; i <= GapTracker.MaxRangesPerSender + 5; i++)
        {
            tracker.OnData(Sender, (i * 3) + 1, 0);
        }

        var request = Assert.Single(Collect(tracker, 300).Requests);
        Assert.True(request.Ranges.Count <= GapTracker.MaxRangesPerSender);
        Assert.True(tracker.MissingCount >= (GapTracker.MaxRangesPerSender + 5) * 2UL);
    }

    [Fact]
    public void Collect_SenderSilentForLong_IsNotForgotten_SoResumingIsNoFirstContact()
    {
        // Forgetting it would make its next message a first contact, whose answer reports its evicted window as lost.
        var tracker = TrackerHeard(5);
        Assert.Empty(Collect(tracker, 3_600_000).Requests);

        tracker.OnData(Sender, 6, 3_600_001);

        Assert.Equal(1, tracker.SenderCount);
        Assert.Equal(0UL, tracker.MissingCount);
        Assert.Empty(Collect(tracker, 3_700_000).Requests);
    }

    [Fact]
    public void Add_MoreSendersThanTracked_ForgetsTheOneSilentLongest()
    {
        var tracker = NewTracker();
        for (var i = 1; i <= 4; i++)
        {
            tracker.OnData(new Guid(i, 0, 0, new byte[8]), 1, i * 100);
        }

        Assert.Equal(3, tracker.SenderCount);
    }
}
