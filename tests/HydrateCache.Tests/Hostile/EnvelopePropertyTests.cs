using CsCheck;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>Properties of the update frame reader and writer, on generated envelopes and bytes (CsCheck; a failure prints its seed).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Envelope")]
public class EnvelopePropertyTests
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public void WriteThenRead_AnyValidEnvelope_RoundTrips() =>
        PropertyGens.Envelope.Sample(
            envelope =>
            {
                Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(envelope.ToArray(), Limit, out var read));
                AssertEquivalent(envelope, read);
            },
            PropertyGens.Output,
            iter: 5_000);

    [Fact]
    public void TryRead_ArbitraryBytes_NeverThrowsAndAcceptedFramesReEncode() =>
        PropertyGens.ArbitraryBytes.Sample(
            bytes => AssertReadIsTotal(bytes),
            PropertyGens.Output,
            iter: 20_000);

    [Fact]
    public void TryRead_MutatedValidFrames_NeverThrowsAndAcceptedFramesReEncode() =>
        Gen.Select(PropertyGens.Envelope, PropertyGens.Mutation.Array[1, 4]).Sample(
            (envelope, mutations) => AssertReadIsTotal(PropertyGens.Mutate(envelope.ToArray(), mutations)),
            PropertyGens.Output,
            iter: 10_000);

    [Fact]
    public void TryRead_ReusedReader_ReadsEveryFrameAsAFreshReaderDoes()
    {
        // One reader across a sequence of valid and damaged frames, as a channel's receive path reuses it: a frame that
        // left it mid-item (or threw inside it) must not change how the next frame reads.
        var reader = HydrateEnvelope.CreateReader();
        var readAfterAFailure = 0;
        var previousFailed = false;
        Gen.Select(PropertyGens.Envelope, PropertyGens.Mutation.Array[0, 3]).Array[1, 8].Sample(
            frames =>
            {
                foreach (var (envelope, mutations) in frames)
                {
                    var bytes = PropertyGens.Mutate(envelope.ToArray(), mutations);
                    var fresh = HydrateEnvelope.TryRead(bytes, Limit, out var expected);
                    Assert.Equal(fresh, HydrateEnvelope.TryRead(bytes, Limit, reader, out var actual));
                    if (fresh == EnvelopeReadResult.Success)
                    {
                        AssertEquivalent(expected, actual);
                        readAfterAFailure += previousFailed ? 1 : 0;
                    }
                    else
                    {
                        Assert.Equal(default, actual);
                    }

                    previousFailed = fresh != EnvelopeReadResult.Success;
                }
            },
            PropertyGens.Output,
            iter: 2_000,
            threads: 1); // one reader, one thread, as on a receive path
        // The property is only exercised if valid frames followed rejected ones on the same reader.
        Assert.True(readAfterAFailure > 0, "no frame was read right after a rejected one");
    }

    [Fact]
    public void TryRead_HostileCorpus_NeverThrowsAndAcceptedFramesReEncode()
    {
        var corpus = new HostileFrameCorpus(HostileFrameCorpus.NewSeed(), 16 * 1024);
        PropertyGens.Output($"hostile corpus seed {corpus.Seed}");
        foreach (var frame in corpus.Generate(2_000, 0, includeMayBeAccepted: true))
        {
            AssertReadIsTotal(frame.Bytes);
        }
    }

    /// <summary>Reading never throws, and a frame it accepts writes back to bytes that read as the same envelope.</summary>
    private static void AssertReadIsTotal(byte[] bytes)
    {
        if (HydrateEnvelope.TryRead(bytes, Limit, out var read) != EnvelopeReadResult.Success)
        {
            Assert.Equal(default, read);
            return;
        }

        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(read.ToArray(), Limit, out var again));
        AssertEquivalent(read, again);
    }

    private static void AssertEquivalent(HydrateEnvelope expected, HydrateEnvelope actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.SenderId, actual.SenderId);
        Assert.Equal(expected.Sequence, actual.Sequence);
        Assert.Equal(expected.Ttl, actual.Ttl);
        Assert.Equal(expected.CodecId, actual.CodecId);
        Assert.Equal(expected.Payload.ToArray(), actual.Payload.ToArray());
    }
}
