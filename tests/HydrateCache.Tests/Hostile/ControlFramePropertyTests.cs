using CsCheck;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>Properties of the control frame reader and writer (CsCheck; a failure prints its seed).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Recovery")]
public class ControlFramePropertyTests
{
    [Fact]
    public void WriteThenRead_AnyValidControlFrame_RoundTrips() =>
        PropertyGens.Control.Sample(
            frame =>
            {
                Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(frame.ToArray(), out var read));
                AssertEquivalent(frame, read!);
            },
            PropertyGens.Output,
            iter: 3_000);

    [Fact]
    public void TryRead_ArbitraryBytes_NeverThrowsAndAcceptedFramesReEncode() =>
        PropertyGens.ArbitraryBytes.Sample(
            bytes => AssertReadIsTotal(bytes),
            PropertyGens.Output,
            iter: 20_000);

    [Fact]
    public void TryRead_MutatedValidFrames_NeverThrowsAndAcceptedFramesReEncode() =>
        Gen.Select(PropertyGens.Control, PropertyGens.Mutation.Array[1, 4]).Sample(
            (frame, mutations) => AssertReadIsTotal(PropertyGens.Mutate(frame.ToArray(), mutations)),
            PropertyGens.Output,
            iter: 5_000);

    [Fact]
    public void TryRead_HostileCorpus_NeverThrowsAndAcceptedFramesReEncode()
    {
        var corpus = new HostileFrameCorpus(HostileFrameCorpus.NewSeed(), 16 * 1024);
        PropertyGens.Output($"hostile corpus seed {corpus.Seed}");
        foreach (var frame in corpus.Generate(0, 3_000))
        {
            AssertReadIsTotal(frame.Bytes);
        }
    }

    private static void AssertReadIsTotal(byte[] bytes)
    {
        if (ControlFrame.TryRead(bytes, out var read) != EnvelopeReadResult.Success)
        {
            Assert.Null(read);
            return;
        }

        Assert.NotNull(read);
        Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(read.ToArray(), out var again));
        AssertEquivalent(read, again!);
    }

    private static void AssertEquivalent(ControlFrame expected, ControlFrame actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Sender, actual.Sender);
        Assert.Equal(expected.Requester, actual.Requester);
        Assert.Equal(expected.LastSequence, actual.LastSequence);
        Assert.Equal(expected.FirstAvailable, actual.FirstAvailable);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Since, actual.Since);
        Assert.Equal(expected.Floor, actual.Floor);
        Assert.Equal(expected.Ranges, actual.Ranges);
        Assert.Equal(expected.VoidRanges, actual.VoidRanges);
    }
}
