using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Recovery;

/// <summary>A sender's retransmit window: its three bounds, and what it answers to a request.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Recovery")]
public class RetransmitWindowTests
{
    private const long NowMs = 1_700_000_000_000;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));

    private RetransmitWindow NewWindow(int messages = 100, long bytes = 1 << 20, int ageSeconds = 60, int holdoffMs = 250) =>
        new(
            new HydrateRecoveryOptions
            {
                RetransmitWindowMessages = messages,
                RetransmitWindowBytes = bytes,
                RetransmitWindowAge = TimeSpan.FromSeconds(ageSeconds),
                RetransmitHoldoff = TimeSpan.FromMilliseconds(holdoffMs),
            },
            _time);

    private static byte[] Frame(ulong sequence, int length = 36) => Enumerable.Repeat((byte)sequence, length).ToArray();

    private static void RecordRange(RetransmitWindow window, ulong from, ulong to, int length = 36)
    {
        for (var sequence = from; sequence <= to; sequence++)
        {
            window.Record(sequence, Frame(sequence, length), NowMs);
        }
    }

    [Fact]
    public void Record_OverTheCountBound_EvictsTheOldest()
    {
        var window = NewWindow(messages: 5);
        RecordRange(window, 1, 8);

        Assert.Equal(5, window.Count);
        Assert.Equal(4UL, window.FirstAvailable);
        Assert.Equal(8UL, window.LastSequence);
    }

    [Fact]
    public void Record_OverTheByteBound_EvictsTheOldest()
    {
        // 100-byte frames are charged 164 bytes each: 1,000 bytes hold six.
        var window = NewWindow(bytes: 1000);
        RecordRange(window, 1, 10, length: 100);

        Assert.Equal(6, window.Count);
        Assert.True(window.Bytes <= 1000);
        Assert.Equal(5UL, window.FirstAvailable);
    }

    [Fact]
    public void Trim_AfterTheAgeBound_EvictsWhatIsTooOld()
    {
        var window = NewWindow(ageSeconds: 10);
        RecordRange(window, 1, 3);
        _time.Advance(TimeSpan.FromSeconds(6));
        RecordRange(window, 4, 5);
        _time.Advance(TimeSpan.FromSeconds(5));

        window.Trim();

        Assert.Equal(2, window.Count);
        Assert.Equal(4UL, window.FirstAvailable);
    }

    [Fact]
    public void Answer_HeldEvictedAndNeverPublished_AreToldApart()
    {
        var window = NewWindow(messages: 5);
        RecordRange(window, 1, 6);   // 1 evicted
        RecordRange(window, 9, 10);  // 7 and 8 were never published; 2 and 3 evicted now

        var answer = window.Answer([new(1, 10)], since: 0);

        Assert.Equal([new SequenceRange(1, 3)], answer.Lost);
        Assert.Equal([new SequenceRange(7, 8)], answer.Void);
        Assert.Equal([Frame(4), Frame(5), Frame(6), Frame(9), Frame(10)], answer.Frames);
    }

    [Fact]
    public void Answer_SameRangeAskedAgainWithinTheHoldoff_IsSentOnce_AndAgainAfterIt()
    {
        var window = NewWindow(holdoffMs: 250);
        RecordRange(window, 1, 5);

        Assert.Equal(3, window.Answer([new(2, 4)], 0).Frames.Count);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Empty(window.Answer([new(2, 4)], 0).Frames);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(3, window.Answer([new(2, 4)], 0).Frames.Count);
    }

    [Fact]
    public void Answer_Since_SendsOnlyWhatWasVersionedAfter_AndTellsTheFloor()
    {
        var window = NewWindow();
        for (ulong sequence = 1; sequence <= 6; sequence++)
        {
            window.Record(sequence, Frame(sequence), NowMs + ((long)sequence * 1000));
        }

        var answer = window.Answer([new(1, 6)], since: NowMs + 4000);

        Assert.Equal(4UL, answer.Floor);
        Assert.Equal([Frame(4), Frame(5), Frame(6)], answer.Frames);
        Assert.Empty(answer.Lost);
        Assert.Empty(answer.Void);
    }

    [Fact]
    public void Answer_SinceWithEvictedFramesVersionedAfterIt_HasNoFloor_AndReportsThemLost()
    {
        var window = NewWindow(messages: 2);
        for (ulong sequence = 1; sequence <= 4; sequence++)
        {
            window.Record(sequence, Frame(sequence), NowMs + ((long)sequence * 1000));
        }

        var answer = window.Answer([new(1, 4)], since: NowMs + 1500);

        Assert.Equal(0UL, answer.Floor);
        Assert.Equal([new SequenceRange(1, 2)], answer.Lost);
        Assert.Equal(2, answer.Frames.Count);
    }

    [Fact]
    public void Answer_HostileHugeRange_OnlyVisitsWhatTheWindowSpans()
    {
        var window = NewWindow();
        RecordRange(window, 1, 3);

        var answer = window.Answer([new(1, ulong.MaxValue)], 0);

        Assert.Equal(3, answer.Frames.Count);
        Assert.Empty(answer.Void);
    }
}
