using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>Valid frames the readers used to reject or alter, found by the property tests.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Envelope")]
public class WireRoundTripRegressionTests
{
    /// <summary>Found by EnvelopePropertyTests.WriteThenRead_AnyValidEnvelope_RoundTrips: durations beyond 2^53 ticks (28.5 years) went through a double and came back a few ticks off.</summary>
    [Fact]
    public void TryRead_TtlOfCenturies_KeepsTheDurationExactly()
    {
        var ttl = new Ttl(DateTimeOffset.FromUnixTimeMilliseconds(1_661_556_739_000), TimeSpan.FromMilliseconds(73_942_324_154_029L));
        var envelope = new HydrateEnvelope(MessageKind.Upsert, "k", new HybridTimestamp(1, 0), Guid.NewGuid(), 1, ttl, "cbor", new byte[] { 1 });

        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(envelope.ToArray(), 1024, out var read));

        Assert.Equal(ttl, read.Ttl);
    }

    /// <summary>Found by ControlFramePropertyTests.WriteThenRead_AnyValidControlFrame_RoundTrips: "first &lt;= last + 1" overflowed at the largest sequence number.</summary>
    [Fact]
    public void TryRead_HeartbeatAtLargestSequence_IsAccepted()
    {
        var heartbeat = ControlFrame.Heartbeat(Guid.NewGuid(), ulong.MaxValue, 5, new HybridTimestamp(1, 0));

        Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(heartbeat.ToArray(), out var read));

        Assert.Equal(ulong.MaxValue, read!.LastSequence);
        Assert.Equal(5UL, read.FirstAvailable);
    }
}
