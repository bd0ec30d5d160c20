using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>
/// Every frame of the hostile corpus, decoded one at a time: nothing throws, every frame is dropped for one of the reasons
/// the corpus declares for it (so the transport tests, which only see totals, can rely on those declarations).
/// </summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Envelope")]
public class HostileCorpusTests
{
    private const int Limit = 16 * 1024;

    [Fact]
    public async Task Decode_EveryDataFrame_DroppedForADeclaredReasonOrAcceptedWhereAllowed()
    {
        var corpus = new HostileFrameCorpus(HostileFrameCorpus.NewSeed(), Limit);
        PropertyGens.Output($"hostile corpus seed {corpus.Seed}");
        var options = new HydrateChannelOptions<SampleOrder> { MaxMessageBytes = Limit };
        options.Recovery.Enabled = false;
        await using var transport = new InMemoryTransport();
        var channel = new HydrateChannel<SampleOrder>(transport, "hostile", options);
        var reasons = Enum.GetValues<HydrateDropReason>();
        var frames = corpus.Generate(12_000, 0, includeMayBeAccepted: true).Where(f => f.Topic == HostileTopic.Data).ToList();
        var accepted = 0;

        foreach (var frame in frames)
        {
            var before = reasons.Select(channel.Statistics.GetDropped).ToArray();
            var message = channel.Decode(frame.Bytes);
            var counted = reasons.Where((reason, i) => channel.Statistics.GetDropped(reason) != before[i]).ToArray();
            if (message is null)
            {
                var reason = Assert.Single(counted);
                Assert.True(frame.Reasons.Contains(reason), $"seed {corpus.Seed}: {frame} was dropped as {reason}");
            }
            else
            {
                Assert.Empty(counted);
                Assert.True(frame.MayBeAccepted, $"seed {corpus.Seed}: {frame} was accepted");
                accepted++;
            }
        }

        Assert.Equal(frames.Count, channel.Statistics.Received);
        Assert.Equal(frames.Count - accepted, channel.Statistics.Dropped);
        PropertyGens.Output($"{frames.Count} data frames: {Describe(channel.Statistics)}, accepted {accepted} (random mutations)");
    }

    [Fact]
    public void TryRead_EveryControlFrame_RejectedForADeclaredReasonOrTooFarAhead()
    {
        var corpus = new HostileFrameCorpus(HostileFrameCorpus.NewSeed(), Limit);
        PropertyGens.Output($"hostile corpus seed {corpus.Seed}");
        var farAhead = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();

        foreach (var frame in corpus.Generate(0, 3_000).Where(f => f.Topic == HostileTopic.Control))
        {
            var result = ControlFrame.TryRead(frame.Bytes, out var control);
            if (result == EnvelopeReadResult.Success)
            {
                // Well-formed: only a heartbeat versioned too far ahead of the clock is hostile (the channel drops it).
                Assert.Equal([HydrateDropReason.ClockSkew], frame.Reasons);
                Assert.Equal(ControlKind.Heartbeat, control!.Kind);
                Assert.True(control.Version.PhysicalTime > farAhead, $"seed {corpus.Seed}: {frame}");
                continue;
            }

            var reason = result switch
            {
                EnvelopeReadResult.NotAFrame => HydrateDropReason.NotAFrame,
                EnvelopeReadResult.UnsupportedVersion => HydrateDropReason.UnsupportedVersion,
                EnvelopeReadResult.InvalidField => HydrateDropReason.InvalidField,
                EnvelopeReadResult.TooLarge => HydrateDropReason.TooLarge,
                _ => HydrateDropReason.Malformed,
            };
            Assert.True(frame.Reasons.Contains(reason), $"seed {corpus.Seed}: {frame} was rejected as {reason}");
        }
    }

    private static string Describe(HydrateChannelStatistics statistics) =>
        string.Join(", ", Enum.GetValues<HydrateDropReason>().Where(r => statistics.GetDropped(r) > 0).Select(r => $"{r} {statistics.GetDropped(r)}"));
}
