using HydrateCache.TestKit;

namespace HydrateCache.Tests.Recovery;

/// <summary>The control frames of loss recovery: round trips, and hostile bytes never throw.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Recovery")]
public class ControlFrameTests
{
    private static readonly Guid Sender = new("00000000-0000-0000-0000-0000000000aa");
    private static readonly Guid Requester = new("00000000-0000-0000-0000-0000000000bb");

    public static TheoryData<string> Kinds => ["heartbeat", "nak", "reply"];

    private static ControlFrame Sample(string kind) => kind switch
    {
        "heartbeat" => ControlFrame.Heartbeat(Sender, 42, 7, new HybridTimestamp(1_700_000_000_000, 3)),
        "nak" => ControlFrame.Nak(Sender, Requester, 1_700_000_000_000, [new(3, 5), new(9, 9)]),
        _ => ControlFrame.NakReply(Sender, Requester, 4, [new(1, 2)], [new(6, 8)]),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TryRead_WrittenFrame_RoundTrips(string kind)
    {
        var frame = Sample(kind);

        Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(frame.ToArray(), out var read));

        Assert.NotNull(read);
        Assert.Equal(frame.Kind, read.Kind);
        Assert.Equal(frame.Sender, read.Sender);
        Assert.Equal(frame.Requester, read.Requester);
        Assert.Equal(frame.LastSequence, read.LastSequence);
        Assert.Equal(frame.FirstAvailable, read.FirstAvailable);
        Assert.Equal(frame.Version, read.Version);
        Assert.Equal(frame.Since, read.Since);
        Assert.Equal(frame.Floor, read.Floor);
        Assert.Equal(frame.Ranges, read.Ranges);
        Assert.Equal(frame.VoidRanges, read.VoidRanges);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TryRead_EveryTruncationAndBitFlip_NeverThrowsAndNeverSucceedsOnTruncation(string kind)
    {
        var bytes = Sample(kind).ToArray();
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(EnvelopeReadResult.Success, ControlFrame.TryRead(bytes.AsMemory(0, length), out _));
        }

        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            _ = ControlFrame.TryRead(flipped, out _);
        }
    }

    [Fact]
    public void TryRead_UpdateFrame_IsAnInvalidControlFrame_AndAControlFrameIsNoUpdate()
    {
        var channel = new HydrateChannel<string>(new InMemoryTransport(), "c");
        var update = channel.Encode(channel.CreateUpsert("k", "v"));

        Assert.Equal(EnvelopeReadResult.InvalidField, ControlFrame.TryRead(update, out _));
        Assert.False(HydrateFrame.TryReadMetadata(Sample("heartbeat").ToArray(), out _));
    }

    [Fact]
    public void TryRead_EmptyOrReversedRange_IsInvalid()
    {
        var reversed = ControlFrame.Nak(Sender, Requester, 0, [new(5, 3)]).ToArray();
        var zero = ControlFrame.Nak(Sender, Requester, 0, [new(0, 3)]).ToArray();

        Assert.Equal(EnvelopeReadResult.InvalidField, ControlFrame.TryRead(reversed, out _));
        Assert.Equal(EnvelopeReadResult.InvalidField, ControlFrame.TryRead(zero, out _));
    }

    [Fact]
    public void ToArray_MoreRangesThanAFrameCarries_KeepsTheFirstOnes()
    {
        var ranges = Enumerable.Range(0, ControlFrame.MaxRanges + 10).Select(i => new SequenceRange((ulong)(i * 10) + 1, (ulong)(i * 10) + 2)).ToList();

        Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(ControlFrame.Nak(Sender, Requester, 0, ranges).ToArray(), out var read));

        Assert.Equal(ranges.Take(ControlFrame.MaxRanges), read!.Ranges);
    }
}
