using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Security;

/// <summary>The signature item of the wire format: its layout, the MAC as documented, and splitting hostile input.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Security")]
public class FrameSignatureTests
{
    private static readonly Guid Sender = new("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly HydrateKey Key = SecurityTestKeys.Signing("k1");

    private static HydrateEnvelope Upsert => new(
        MessageKind.Upsert, "k", new HybridTimestamp(1_700_000_000_000, 2), Sender, 42, null, "cbor", new byte[] { 0x01, 0x02 });

    /// <summary>The MAC computed from the documented layout alone (label, length-prefixed topic, bytes before the last item).</summary>
    private static byte[] DocumentedMac(byte[] material, string topic, ReadOnlySpan<byte> signed)
    {
        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var input = new List<byte>(Encoding.ASCII.GetBytes("hydratecache-signature-v1"));
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)topicBytes.Length);
        input.AddRange(length);
        input.AddRange(topicBytes);
        input.AddRange(signed.ToArray());
        return HMACSHA256.HashData(material, input.ToArray());
    }

    [Fact]
    public void SignedUpsert_Layout_IsTwelveItemsWithNullExtensionsAndTheDocumentedMac()
    {
        var frame = Upsert.ToSignedArray(Key, FrameSignature.CreateDomain("prices"));
        var unsigned = Convert.ToHexStringLower(Upsert.ToArray());

        // d9d9f7, array(12) instead of array(10), the same ten items, item [10] null, then [ "k1", h'<32 bytes>' ].
        var hex = Convert.ToHexStringLower(frame);
        Assert.StartsWith("d9d9f7" + "8c" + unsigned[8..] + "f6" + "82" + "626b31" + "5820", hex);
        Assert.Equal(Upsert.ToArray().Length + 1 + 1 + 3 + 2 + 32, frame.Length);
        var signedLength = frame.Length - (1 + 3 + 2 + 32);
        Assert.Equal(DocumentedMac(SecurityTestKeys.Material("sign:k1"), "prices", frame.AsSpan(0, signedLength)), frame[^32..]);
    }

    [Fact]
    public void SignedFrames_ReadersThatDoNotVerify_IgnoreTheSignature()
    {
        var frame = (Upsert with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }).ToSignedArray(Key, FrameSignature.CreateDomain("prices"));
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, 1 << 20, out var envelope));
        Assert.Equal("k", envelope.Key);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", envelope.TraceParent);
        Assert.True(HydrateFrame.TryReadMetadata(frame, out var metadata));
        Assert.Equal(42UL, metadata.Sequence);

        var heartbeat = ControlFrame.Heartbeat(Sender, 9, 1, new HybridTimestamp(5, 1)).ToArray(Key, FrameSignature.CreateDomain("prices.control"));
        Assert.Equal(EnvelopeReadResult.Success, ControlFrame.TryRead(heartbeat, out var control));
        Assert.Equal(9UL, control!.LastSequence);
    }

    [Theory]
    [InlineData("heartbeat")]
    [InlineData("nak")]
    [InlineData("reply")]
    public void SignedControlFrame_Split_SignsEverythingBeforeTheLastItem(string kind)
    {
        var control = kind switch
        {
            "heartbeat" => ControlFrame.Heartbeat(Sender, 9, 1, new HybridTimestamp(5, 1)),
            "nak" => ControlFrame.Nak(Sender, Guid.NewGuid(), 7, [new SequenceRange(3, 4)]),
            _ => ControlFrame.NakReply(Sender, Guid.NewGuid(), 0, [new SequenceRange(3, 4)], []),
        };
        var unsigned = control.ToArray();
        var frame = control.ToArray(Key, FrameSignature.CreateDomain("t.control"));

        Assert.Equal(FrameSignatureStatus.Signed, FrameSignature.TrySplit(frame, out var signedLength, out var keyId, out var mac));
        Assert.Equal("k1", keyId);
        Assert.Equal(unsigned[4..], frame[4..signedLength]);
        Assert.Equal(unsigned[3] + 1, frame[3]);
        Assert.Equal(DocumentedMac(SecurityTestKeys.Material("sign:k1"), "t.control", frame.AsSpan(0, signedLength)), mac.ToArray());
        Assert.Equal(FrameSignatureStatus.Unsigned, FrameSignature.TrySplit(unsigned, out _, out _, out _));
    }

    [Fact]
    public void TrySplit_UnsignedOrNotAFrame_SaysSo()
    {
        Assert.Equal(FrameSignatureStatus.Unsigned, FrameSignature.TrySplit(Upsert.ToArray(), out _, out _, out _));
        Assert.Equal(FrameSignatureStatus.NotAFrame, FrameSignature.TrySplit(Array.Empty<byte>(), out _, out _, out _));
        Assert.Equal(FrameSignatureStatus.NotAFrame, FrameSignature.TrySplit("hello"u8.ToArray(), out _, out _, out _));
        Assert.Equal(FrameSignatureStatus.Malformed, FrameSignature.TrySplit(Convert.FromHexString("d9d9f78301"), out _, out _, out _));

        // Trailing bytes after the array, and a last item that looks almost like a signature (31-byte MAC, empty key id).
        Assert.Equal(FrameSignatureStatus.Malformed, FrameSignature.TrySplit(Upsert.ToArray().Append((byte)0).ToArray(), out _, out _, out _));
        Assert.Equal(FrameSignatureStatus.Unsigned, FrameSignature.TrySplit(Convert.FromHexString("d9d9f7820182616b581f" + new string('0', 62)), out _, out _, out _));
        Assert.Equal(FrameSignatureStatus.Unsigned, FrameSignature.TrySplit(Convert.FromHexString("d9d9f78201826058200" + new string('0', 63)), out _, out _, out _));
    }

    [Fact]
    public void TrySplit_HostileInput_NeverThrows()
    {
        var random = new Random(1234);
        var signed = Upsert.ToSignedArray(Key, FrameSignature.CreateDomain("prices"));
        List<byte[]> inputs =
        [
            // Deep nesting, a huge declared length, indefinite-length items, a lone break.
            [0xd9, 0xd9, 0xf7, .. Enumerable.Repeat((byte)0x81, 100_000), 0x00],
            Convert.FromHexString("d9d9f79b7fffffffffffffff"),
            Convert.FromHexString("d9d9f79f0102ff"),
            Convert.FromHexString("d9d9f79f01825f41004100ff5820" + new string('0', 64) + "ff"),
            Convert.FromHexString("ff"),
        ];
        for (var i = 0; i < 2000; i++)
        {
            var bytes = (byte[])signed.Clone();
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            inputs.Add(random.Next(4) == 0 ? bytes[..random.Next(bytes.Length)] : bytes);
            var noise = new byte[random.Next(1, 64)];
            random.NextBytes(noise);
            inputs.Add([0xd9, 0xd9, 0xf7, .. noise]);
        }

        foreach (var input in inputs)
        {
            var status = FrameSignature.TrySplit(input, out var signedLength, out _, out var mac);
            Assert.True(status != FrameSignatureStatus.Signed || (signedLength > 0 && signedLength < input.Length && mac.Length == 32));
        }
    }
}
