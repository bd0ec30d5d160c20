using System.Formats.Cbor;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Envelope;

[TestSuite("BVT"), TestProvider("None"), TestArea("Envelope")]
public class EnvelopeTests
{
    private const int Limit = 1024 * 1024;
    private static readonly Guid Sender = new("00112233-4455-6677-8899-aabbccddeeff");
    private static readonly HybridTimestamp Version = new(1_700_000_000_000, 2);

    private static HydrateEnvelope GoldenUpsert => new(
        MessageKind.Upsert, "k", Version, Sender, 42,
        new Ttl(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), TimeSpan.FromMinutes(1)),
        "cbor", new byte[] { 0x01, 0x02 });

    private static HydrateEnvelope GoldenDelete => new(MessageKind.Delete, "k", Version, Sender, 43, null, null, default);

    private static HydrateEnvelope GoldenInvalidate => new(MessageKind.Invalidate, "k", Version, Sender, 44, null, null, default);

    // Wire format v1 is frozen: these bytes are decoded by hand in docs/wire-format.md. Changing them is a breaking change.
    private const string GoldenUpsertHex =
        "d9d9f7" + "8a" + "01" + "01" + "616b" + "1b0000018bcfe56800" + "02"
        + "50" + "00112233445566778899aabbccddeeff" + "182a"
        + "82" + "1b0000018bcfe56800" + "19ea60"
        + "6463626f72" + "420102";

    private const string GoldenDeleteHex =
        "d9d9f7" + "8a" + "01" + "02" + "616b" + "1b0000018bcfe56800" + "02"
        + "50" + "00112233445566778899aabbccddeeff" + "182b"
        + "f6" + "f6" + "f6";

    [Fact]
    public void Write_Upsert_MatchesGoldenBytes() => Assert.Equal(GoldenUpsertHex, Convert.ToHexStringLower(GoldenUpsert.ToArray()));

    [Fact]
    public void Write_Delete_MatchesGoldenBytes() => Assert.Equal(GoldenDeleteHex, Convert.ToHexStringLower(GoldenDelete.ToArray()));

    [Fact]
    public void Read_GoldenUpsert_DecodesEveryField()
    {
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(Convert.FromHexString(GoldenUpsertHex), Limit, out var envelope));
        Assert.Equal(MessageKind.Upsert, envelope.Kind);
        Assert.Equal("k", envelope.Key);
        Assert.Equal(Version, envelope.Version);
        Assert.Equal(Sender, envelope.SenderId);
        Assert.Equal(42UL, envelope.Sequence);
        Assert.Equal(new Ttl(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), TimeSpan.FromMinutes(1)), envelope.Ttl);
        Assert.Equal("cbor", envelope.CodecId);
        Assert.Equal(new byte[] { 1, 2 }, envelope.Payload.ToArray());
    }

    [Fact]
    public void Read_GoldenDelete_DecodesEveryField()
    {
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(Convert.FromHexString(GoldenDeleteHex), Limit, out var envelope));
        Assert.Equal(MessageKind.Delete, envelope.Kind);
        Assert.Equal(43UL, envelope.Sequence);
        Assert.Null(envelope.Ttl);
        Assert.Null(envelope.CodecId);
        Assert.True(envelope.Payload.IsEmpty);
    }

    [Fact]
    public void WriteTo_BufferWriter_SameBytesAsToArray()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        GoldenUpsert.WriteTo(buffer);
        Assert.Equal(GoldenUpsertHex, Convert.ToHexStringLower(buffer.WrittenSpan));
    }

    [Theory]
    [InlineData("", "NotAFrame")]
    [InlineData("00", "NotAFrame")]
    [InlineData("ffffffff", "Malformed")]
    [InlineData("8a0101", "NotAFrame")]                 // no magic tag
    [InlineData("d9d9f7a0", "Malformed")]               // a map, not an array
    [InlineData("d9d9f78a02", "Malformed")]             // truncated: fewer bytes than 10 items need
    [InlineData("d9d9f7816176", "Malformed")]           // version is text
    [InlineData("d9d9f78101", "Malformed")]             // v1 with 1 item
    public void TryRead_BadFrame_ReturnsTypedResult(string hex, string expected)
    {
        Assert.Equal(expected, HydrateEnvelope.TryRead(Convert.FromHexString(hex), Limit, out _).ToString());
    }

    [Theory]
    [InlineData("00")]
    [InlineData("02")]
    [InlineData("18ff")]
    public void TryRead_OtherFormatVersion_IsUnsupportedVersion(string versionHex)
    {
        var frame = Convert.FromHexString("d9d9f78a" + versionHex + GoldenDeleteHex[10..]);
        Assert.Equal(EnvelopeReadResult.UnsupportedVersion, HydrateEnvelope.TryRead(frame, Limit, out _));
    }

    [Fact]
    public void TryRead_EveryTruncation_IsRejectedWithoutThrowing()
    {
        var frame = Convert.FromHexString(GoldenUpsertHex);
        for (var length = 0; length < frame.Length; length++)
        {
            var result = HydrateEnvelope.TryRead(frame.AsMemory(0, length), Limit, out _);
            Assert.NotEqual(EnvelopeReadResult.Success, result);
        }
    }

    [Fact]
    public void TryRead_RandomGarbage_NeverThrowsOrSucceeds()
    {
        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            Assert.NotEqual(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(bytes, Limit, out _));
        }
    }

    [Fact]
    public void TryRead_EverySingleByteFlip_NeverThrows()
    {
        var golden = Convert.FromHexString(GoldenUpsertHex);
        for (var i = 0; i < golden.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var frame = (byte[])golden.Clone();
                frame[i] ^= (byte)(1 << bit);
                _ = HydrateEnvelope.TryRead(frame, Limit, out _);
            }
        }
    }

    [Fact]
    public void TryRead_OverLimit_IsTooLarge()
    {
        var frame = Convert.FromHexString(GoldenUpsertHex);
        Assert.Equal(EnvelopeReadResult.TooLarge, HydrateEnvelope.TryRead(frame, frame.Length - 1, out _));
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, frame.Length, out _));
    }

    [Fact]
    public void TryRead_TrailingBytes_IsMalformed()
    {
        var frame = Convert.FromHexString(GoldenDeleteHex + "00");
        Assert.Equal(EnvelopeReadResult.Malformed, HydrateEnvelope.TryRead(frame, Limit, out _));
    }

    [Fact]
    public void TryRead_ExtraTrailingArrayItems_AreIgnored()
    {
        // A later minor revision of v1 may append items after the extensions (item [10]); a v1 reader skips them.
        var frame = Convert.FromHexString("d9d9f7" + "8c" + GoldenDeleteHex[8..] + "f6" + "a10102");
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, Limit, out var envelope));
        Assert.Equal(43UL, envelope.Sequence);
    }

    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static HydrateEnvelope GoldenTracedEncrypted => GoldenUpsert with
    {
        TraceParent = TraceParent,
        TraceState = "k=v",
        EncryptionKeyId = "k1",
        EncryptionNonce = new byte[] { 0xa0, 0xa1, 0xa2 },
    };

    // Item [10], the extensions map: 1 traceparent, 2 tracestate, 3 [key id, nonce]. A frame without any stays 10 items.
    private const string GoldenExtensionsHex =
        "a3"
        + "01" + "7837" + "30302d30616637363531393136636434336464383434386562323131633830333139632d623761643662373136393230333333312d3031"
        + "02" + "636b3d76"
        + "03" + "82" + "626b31" + "43a0a1a2";

    [Fact]
    public void Write_Extensions_MatchGoldenBytes() =>
        Assert.Equal("d9d9f7" + "8b" + GoldenUpsertHex[8..] + GoldenExtensionsHex, Convert.ToHexStringLower(GoldenTracedEncrypted.ToArray()));

    // A traced publish without encryption: extensions 1 and 2 only.
    private const string GoldenTraceContextHex =
        "a2"
        + "01" + "7837" + "30302d30616637363531393136636434336464383434386562323131633830333139632d623761643662373136393230333333312d3031"
        + "02" + "636b3d76";

    [Fact]
    public void Write_TraceContextOnly_MatchesGoldenBytesAndReadsBack()
    {
        var hex = "d9d9f7" + "8b" + GoldenUpsertHex[8..] + GoldenTraceContextHex;
        Assert.Equal(hex, Convert.ToHexStringLower((GoldenUpsert with { TraceParent = TraceParent, TraceState = "k=v" }).ToArray()));
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(Convert.FromHexString(hex), Limit, out var envelope));
        Assert.Equal(TraceParent, envelope.TraceParent);
        Assert.Equal("k=v", envelope.TraceState);
        Assert.Null(envelope.EncryptionKeyId);
    }

    [Fact]
    public void Read_Extensions_DecodesEveryField()
    {
        var frame = Convert.FromHexString("d9d9f7" + "8b" + GoldenUpsertHex[8..] + GoldenExtensionsHex);
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, Limit, out var envelope));
        Assert.Equal(TraceParent, envelope.TraceParent);
        Assert.Equal("k=v", envelope.TraceState);
        Assert.Equal("k1", envelope.EncryptionKeyId);
        Assert.Equal(new byte[] { 0xa0, 0xa1, 0xa2 }, envelope.EncryptionNonce.ToArray());
        Assert.Equal(new byte[] { 1, 2 }, envelope.Payload.ToArray());
    }

    [Theory]
    [InlineData("f6", true)]                         // null: no extensions
    [InlineData("a0", true)]                         // empty map
    [InlineData("a1186364f09f9880", true)]           // unknown key 99 with a text value: skipped
    [InlineData("a1186381a10102", true)]             // unknown key 99 with nested items: skipped
    [InlineData("656578747261", false)]              // a text string where the map belongs
    [InlineData("a10160", false)]                    // empty traceparent
    [InlineData("a10381626b31", false)]              // encryption: array of one
    [InlineData("a103826040", false)]                // encryption: empty key id and nonce
    public void TryRead_ExtensionItem_IsCheckedAndUnknownKeysSkipped(string extensionsHex, bool accepted)
    {
        var frame = Convert.FromHexString("d9d9f7" + "8b" + GoldenUpsertHex[8..] + extensionsHex);
        var result = HydrateEnvelope.TryRead(frame, Limit, out var envelope);
        Assert.Equal(accepted ? EnvelopeReadResult.Success : EnvelopeReadResult.InvalidField, result);
        if (accepted)
        {
            Assert.Null(envelope.TraceParent);
            Assert.Null(envelope.EncryptionKeyId);
        }
    }

    [Fact]
    public void TryRead_ExtensionOfWrongType_IsMalformed()
    {
        // Like every other field: a wrong CBOR type is malformed, a value outside the domain an invalid field.
        var frame = Convert.FromHexString("d9d9f7" + "8b" + GoldenUpsertHex[8..] + "a10102");
        Assert.Equal(EnvelopeReadResult.Malformed, HydrateEnvelope.TryRead(frame, Limit, out _));
    }

    [Fact]
    public void TryRead_EncryptionExtensionOnDelete_IsInvalidField()
    {
        var frame = Convert.FromHexString("d9d9f7" + "8b" + GoldenDeleteHex[8..] + "a10382626b3143a0a1a2");
        Assert.Equal(EnvelopeReadResult.InvalidField, HydrateEnvelope.TryRead(frame, Limit, out _));
    }

    [Fact]
    public void TryRead_DuplicateExtensionKey_IsMalformed()
    {
        var frame = Convert.FromHexString("d9d9f7" + "8b" + GoldenDeleteHex[8..] + "a202636b3d7602636b3d76");
        Assert.Equal(EnvelopeReadResult.Malformed, HydrateEnvelope.TryRead(frame, Limit, out _));
    }

    [Fact]
    public void TryRead_IndefiniteLengthEncodingFromOtherWriters_IsAccepted()
    {
        var writer = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        writer.WriteTag((CborTag)55799);
        writer.WriteStartArray(null);
        writer.WriteInt32(1);
        writer.WriteInt32(1);
        writer.WriteTextString("key");
        writer.WriteInt64(5);
        writer.WriteInt32(0);
        writer.WriteByteString(Sender.ToByteArray(bigEndian: true));
        writer.WriteInt32(1);
        writer.WriteNull();
        writer.WriteTextString("cbor");
        writer.WriteStartIndefiniteLengthByteString();
        writer.WriteByteString([1, 2]);
        writer.WriteByteString([3]);
        writer.WriteEndIndefiniteLengthByteString();
        writer.WriteEndArray();

        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(writer.Encode(), Limit, out var envelope));
        Assert.Equal("key", envelope.Key);
        Assert.Equal(new byte[] { 1, 2, 3 }, envelope.Payload.ToArray());
    }

    [Theory]
    [InlineData("unknown kind")]
    [InlineData("empty key")]
    [InlineData("delete with payload")]
    [InlineData("delete with ttl")]
    [InlineData("upsert without codec")]
    [InlineData("zero ttl duration")]
    [InlineData("invalidate with payload")]
    [InlineData("invalidate with ttl")]
    [InlineData("encrypted invalidate")]
    public void TryRead_InconsistentFields_IsInvalidField(string defect)
    {
        var envelope = defect switch
        {
            "unknown kind" => GoldenDelete with { Kind = (MessageKind)4 },
            "invalidate with payload" => GoldenInvalidate with { CodecId = "cbor", Payload = new byte[] { 1 } },
            "invalidate with ttl" => GoldenInvalidate with { Ttl = new Ttl(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1)) },
            "encrypted invalidate" => GoldenInvalidate with { EncryptionKeyId = "k1", EncryptionNonce = new byte[] { 0xa0 } },
            "empty key" => GoldenDelete with { Key = string.Empty },
            "delete with payload" => GoldenDelete with { CodecId = "cbor", Payload = new byte[] { 1 } },
            "delete with ttl" => GoldenDelete with { Ttl = new Ttl(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1)) },
            "upsert without codec" => GoldenUpsert with { CodecId = null },
            "zero ttl duration" => GoldenUpsert with { Ttl = new Ttl(DateTimeOffset.UnixEpoch, TimeSpan.Zero) },
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };
        Assert.Equal(EnvelopeReadResult.InvalidField, HydrateEnvelope.TryRead(envelope.ToArray(), Limit, out _));
    }

    // Kind 3 (invalidate): shaped like a delete, key and version only. A reader older than kind 3 rejects it as an invalid field.
    private const string GoldenInvalidateHex =
        "d9d9f7" + "8a" + "01" + "03" + "616b" + "1b0000018bcfe56800" + "02"
        + "50" + "00112233445566778899aabbccddeeff" + "182c"
        + "f6" + "f6" + "f6";

    [Fact]
    public void Write_Invalidate_MatchesGoldenBytes() => Assert.Equal(GoldenInvalidateHex, Convert.ToHexStringLower(GoldenInvalidate.ToArray()));

    [Fact]
    public void Read_GoldenInvalidate_DecodesEveryField()
    {
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(Convert.FromHexString(GoldenInvalidateHex), Limit, out var envelope));
        Assert.Equal(MessageKind.Invalidate, envelope.Kind);
        Assert.Equal("k", envelope.Key);
        Assert.Equal(Version, envelope.Version);
        Assert.Equal(Sender, envelope.SenderId);
        Assert.Equal(44UL, envelope.Sequence);
        Assert.Null(envelope.Ttl);
        Assert.Null(envelope.CodecId);
        Assert.True(envelope.Payload.IsEmpty);
    }

    [Fact]
    public void TryRead_SenderIdNot16Bytes_IsInvalidField()
    {
        var hex = GoldenDeleteHex.Replace("5000112233445566778899aabbccddeeff", "4f112233445566778899aabbccddeeff", StringComparison.Ordinal);
        Assert.Equal(EnvelopeReadResult.InvalidField, HydrateEnvelope.TryRead(Convert.FromHexString(hex), Limit, out _));
    }

    [Theory]
    [InlineData("k")]
    [InlineData("ключ/キー/🔑")]
    [InlineData("with\0nul")]
    public void RoundTrip_UnicodeKeys_Preserved(string key)
    {
        var frame = (GoldenUpsert with { Key = key }).ToArray();
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, Limit, out var envelope));
        Assert.Equal(key, envelope.Key);
    }
}
