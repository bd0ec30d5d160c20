using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Security;

/// <summary>Signed channels: what they accept, what they drop and how it is counted, and key rotation.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Security")]
public class ChannelSigningTests
{
    private const long NowMs = 1_700_000_000_000;
    private static readonly InMemoryTransport Unused = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(NowMs));

    private HydrateChannel<string> NewChannel(string name = "prices", Action<HydrateSecurityOptions>? security = null)
    {
        var options = new HydrateChannelOptions<string> { TimeProvider = _time };
        options.Recovery.Enabled = false;
        security?.Invoke(options.Security);
        return new HydrateChannel<string>(Unused, name, options);
    }

    private static Action<HydrateSecurityOptions> Keys(string current, params string[] accepted) => security =>
    {
        foreach (var id in accepted)
        {
            security.SigningKeys.Add(SecurityTestKeys.Signing(id));
        }

        security.CurrentSigningKeyId = current;
    };

    private byte[] Frame(HydrateChannel<string> channel, string key = "k", string value = "v") => channel.Encode(channel.CreateUpsert(key, value));

    [Fact]
    public void Signed_RoundTrip_DecodesAndDropsNothing()
    {
        var writer = NewChannel(security: Keys("s1", "s1"));
        var reader = NewChannel(security: Keys("s1", "s1"));

        var upsert = reader.Decode(Frame(writer));
        var delete = reader.Decode(writer.Encode(writer.CreateDelete("k")));

        Assert.Equal("v", upsert?.Payload);
        Assert.Equal(MessageKind.Delete, delete?.Kind);
        Assert.Equal(0, reader.Statistics.Dropped);
        Assert.Equal("v", NewChannel().Decode(Frame(writer))?.Payload);
        Assert.Equal(FrameSignatureStatus.Signed, FrameSignature.TrySplit(writer.Encode(writer.CreateDelete("k")), out _, out _, out _));
    }

    [Fact]
    public void Unsigned_RequireSignature_IsDroppedAsUnsigned()
    {
        var plain = NewChannel();
        var reader = NewChannel(security: Keys("s1", "s1"));

        Assert.Null(reader.Decode(Frame(plain)));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.Unsigned));
    }

    [Fact]
    public void Unsigned_SignatureNotRequired_IsAcceptedButForgeriesAreNot()
    {
        var reader = NewChannel(security: s =>
        {
            Keys("s1", "s1")(s);
            s.RequireSignature = false;
        });

        Assert.NotNull(reader.Decode(Frame(NewChannel())));
        Assert.Null(reader.Decode(Frame(NewChannel(security: Keys("x", "x")))));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.UnknownKey));
        Assert.Equal(1, reader.Statistics.Dropped);
    }

    [Fact]
    public void BitFlip_InAnyByte_IsNeverAccepted()
    {
        var writer = NewChannel(security: Keys("s1", "s1"));
        var reader = NewChannel(security: Keys("s1", "s1"));
        var frame = Frame(writer);
        var accepted = 0;
        for (var i = 0; i < frame.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var forged = (byte[])frame.Clone();
                forged[i] ^= (byte)(1 << bit);
                accepted += reader.Decode(forged) is null ? 0 : 1;
            }
        }

        Assert.Equal(0, accepted);
        Assert.Equal(frame.Length * 8, reader.Statistics.Dropped);

        // Most flips break the MAC; those in the key id name an unknown key, some break the framing itself.
        Assert.True(reader.Statistics.GetDropped(HydrateDropReason.BadSignature) > frame.Length * 8 / 2);
        Assert.True(reader.Statistics.GetDropped(HydrateDropReason.UnknownKey) > 0);
    }

    [Fact]
    public void WrongKeyMaterial_SameId_IsBadSignature()
    {
        var forger = NewChannel(security: s => s.SigningKeys.Add(new HydrateKey("s1", SecurityTestKeys.Material("not the real key"))));
        var reader = NewChannel(security: Keys("s1", "s1"));

        Assert.Null(reader.Decode(Frame(forger)));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.BadSignature));
    }

    [Fact]
    public void UnknownKeyId_IsDroppedAsUnknownKey()
    {
        var reader = NewChannel(security: Keys("s1", "s1"));

        Assert.Null(reader.Decode(Frame(NewChannel(security: Keys("s9", "s9")))));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.UnknownKey));
    }

    [Fact]
    public void ReplayedFromAnotherChannel_SameKey_IsBadSignature()
    {
        var other = NewChannel("orders", Keys("s1", "s1"));
        var reader = NewChannel("prices", Keys("s1", "s1"));

        Assert.Null(reader.Decode(Frame(other)));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.BadSignature));
    }

    [Fact]
    public void ReplayedFromTheControlTopic_IsBadSignature()
    {
        var reader = NewChannel("prices", Keys("s1", "s1"));
        var heartbeat = ControlFrame.Heartbeat(Guid.NewGuid(), 3, 1, new HybridTimestamp(NowMs, 0))
            .ToArray(SecurityTestKeys.Signing("s1"), FrameSignature.CreateDomain(reader.Topic + ".control"));

        Assert.Null(reader.Decode(heartbeat));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.BadSignature));
    }

    [Fact]
    public void ApplyRepair_SignedFrame_IsAppliedAndForgedOneDropped()
    {
        var peer = NewChannel(security: Keys("s1", "s1"));
        var silo = NewChannel(security: Keys("s1", "s1"));
        using var cache = new LocalHydratedCache<string>(new LocalHydratedCacheOptions { TimeProvider = _time, SweepInterval = TimeSpan.Zero });

        Assert.Equal(HydrateApplyResult.Applied, silo.ApplyRepair(Frame(peer, "a"), cache));
        var forged = Frame(peer, "b");
        forged[^1] ^= 1;
        Assert.Null(silo.ApplyRepair(forged, cache));
        Assert.Null(silo.ApplyRepair(Frame(NewChannel(), "c"), cache));

        Assert.Equal(1, silo.Statistics.Repaired);
        Assert.Equal(1, silo.Statistics.GetDropped(HydrateDropReason.BadSignature));
        Assert.Equal(1, silo.Statistics.GetDropped(HydrateDropReason.Unsigned));
        Assert.False(cache.TryGet("b", out _));
    }

    /// <summary>
    /// The three phases of a rotation from "old" to "new": (1) accept both, sign with old; (2) accept both, sign with new;
    /// (3) accept and sign new only. Instances one phase apart understand each other both ways; two apart, they do not,
    /// which is why a phase is rolled out everywhere before the next begins.
    /// </summary>
    [Fact]
    public void Rotation_NeighbouringPhasesInteroperate_PhasesOneAndThreeDoNot()
    {
        var phase1 = NewChannel(security: Keys("old", "old", "new"));
        var phase2 = NewChannel(security: Keys("new", "old", "new"));
        var phase3 = NewChannel(security: Keys("new", "new"));

        Assert.NotNull(phase2.Decode(Frame(phase1)));
        Assert.NotNull(phase1.Decode(Frame(phase2)));
        Assert.NotNull(phase3.Decode(Frame(phase2)));
        Assert.NotNull(phase2.Decode(Frame(phase3)));
        Assert.NotNull(phase1.Decode(Frame(phase3)));
        Assert.Equal(0, phase1.Statistics.Dropped + phase2.Statistics.Dropped);

        Assert.Null(phase3.Decode(Frame(phase1)));
        Assert.Equal(1, phase3.Statistics.GetDropped(HydrateDropReason.UnknownKey));
    }

    [Fact]
    public void KeyProvider_RotatesWithoutNewChannel()
    {
        var provider = new SwitchableProvider("a");
        var writer = NewChannel(security: s => s.KeyProvider = provider);
        var reader = NewChannel(security: Keys("a", "a", "b"));

        var first = Frame(writer);
        provider.Current = "b";
        var second = Frame(writer);

        Assert.NotNull(reader.Decode(first));
        Assert.NotNull(reader.Decode(second));
        FrameSignature.TrySplit(second, out _, out var keyId, out _);
        Assert.Equal("b", keyId);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(16)]
    public void ShortSigningKey_ChannelRefusesIt(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => NewChannel(security: s => s.SigningKeys.Add(new HydrateKey("short", SecurityTestKeys.Material("short", length)))));
        Assert.Contains("32 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_Mistakes_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => NewChannel(security: s =>
        {
            s.SigningKeys.Add(SecurityTestKeys.Signing("a"));
            s.SigningKeys.Add(SecurityTestKeys.Signing("a"));
        }));
        Assert.Throws<ArgumentException>(() => NewChannel(security: s =>
        {
            s.SigningKeys.Add(SecurityTestKeys.Signing("a"));
            s.CurrentSigningKeyId = "b";
        }));
        Assert.Throws<ArgumentException>(() => NewChannel(security: s =>
        {
            s.SigningKeys.Add(SecurityTestKeys.Signing("a"));
            s.KeyProvider = new SwitchableProvider("a");
        }));
        Assert.Throws<ArgumentException>(() => new HydrateKey("k", new byte[15]));
        Assert.Throws<ArgumentException>(() => new HydrateKey(new string('x', 65), new byte[32]));
        Assert.Throws<ArgumentException>(() => new HydrateKey(string.Empty, new byte[32]));
    }

    [Fact]
    public void HydrateDropReason_SecurityReasons_AreAppendedAfterTheExistingValues()
    {
        Assert.Equal(8, (int)HydrateDropReason.ClockSkew);
        Assert.Equal(
            [HydrateDropReason.Unsigned, HydrateDropReason.UnknownKey, HydrateDropReason.BadSignature, HydrateDropReason.PayloadUndecryptable],
            Enum.GetValues<HydrateDropReason>().Where(r => r > HydrateDropReason.ClockSkew));
        Assert.Equal(9, (int)HydrateDropReason.Unsigned);
    }

    /// <summary>A provider whose current key changes at run time.</summary>
    private sealed class SwitchableProvider(string current) : IHydrateKeyProvider
    {
        public string Current { get; set; } = current;

        public HydrateKey? GetCurrentKey(string channel, HydrateKeyPurpose purpose) =>
            purpose == HydrateKeyPurpose.Signing ? SecurityTestKeys.Signing(Current) : null;

        public HydrateKey? FindKey(string channel, HydrateKeyPurpose purpose, string keyId) =>
            purpose == HydrateKeyPurpose.Signing && keyId is "a" or "b" ? SecurityTestKeys.Signing(keyId) : null;
    }
}
