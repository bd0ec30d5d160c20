using System.Text;
using HydrateCache.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace HydrateCache.Tests.Security;

/// <summary>Encrypted payloads: round trip, nothing readable in the frame, and every way a payload fails to decrypt.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Security")]
public class ChannelEncryptionTests
{
    private const string Secret = "the-plaintext-value-4711";
    private static readonly InMemoryTransport Unused = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));

    private HydrateChannel<string> NewChannel(string name = "prices", string? encryptionKey = "e1", string? signingKey = null, Action<HydrateSecurityOptions>? more = null)
    {
        var options = new HydrateChannelOptions<string> { TimeProvider = _time };
        options.Recovery.Enabled = false;
        if (encryptionKey is not null)
        {
            options.Security.EncryptionKeys.Add(SecurityTestKeys.Encryption(encryptionKey));
        }

        if (signingKey is not null)
        {
            options.Security.SigningKeys.Add(SecurityTestKeys.Signing(signingKey));
        }

        more?.Invoke(options.Security);
        return new HydrateChannel<string>(Unused, name, options);
    }

    private static bool ContainsPlaintext(byte[] frame) => Encoding.UTF8.GetString(frame).Contains(Secret, StringComparison.Ordinal);

    [Theory]
    [InlineData(null)]
    [InlineData("s1")]
    public void Encrypted_RoundTrip_FrameHidesTheValue(string? signingKey)
    {
        var writer = NewChannel(signingKey: signingKey);
        var reader = NewChannel(signingKey: signingKey);
        var frame = writer.Encode(writer.CreateUpsert("k", Secret));

        Assert.False(ContainsPlaintext(frame));
        Assert.True(ContainsPlaintext(NewChannel(encryptionKey: null).Encode(writer.CreateUpsert("k", Secret))), "the check finds the value in a plain frame");
        Assert.Equal(EnvelopeReadResult.Success, HydrateEnvelope.TryRead(frame, 1 << 20, out var envelope));
        Assert.Equal("e1", envelope.EncryptionKeyId);
        Assert.Equal(12, envelope.EncryptionNonce.Length);
        Assert.Equal("cbor", envelope.CodecId);
        Assert.Equal(Secret, reader.Decode(frame)?.Payload);
        Assert.Equal(0, reader.Statistics.Dropped);
    }

    [Fact]
    public void Encrypted_SameValueTwice_DifferentCiphertexts()
    {
        var writer = NewChannel();
        HydrateEnvelope.TryRead(writer.Encode(writer.CreateUpsert("k", Secret)), 1 << 20, out var first);
        HydrateEnvelope.TryRead(writer.Encode(writer.CreateUpsert("k", Secret)), 1 << 20, out var second);

        Assert.NotEqual(first.EncryptionNonce.ToArray(), second.EncryptionNonce.ToArray());
        Assert.NotEqual(first.Payload.ToArray(), second.Payload.ToArray());
    }

    [Fact]
    public void Delete_IsNotEncrypted()
    {
        var writer = NewChannel();
        HydrateEnvelope.TryRead(writer.Encode(writer.CreateDelete("k")), 1 << 20, out var envelope);

        Assert.Null(envelope.EncryptionKeyId);
        Assert.Equal(MessageKind.Delete, NewChannel().Decode(writer.Encode(writer.CreateDelete("k")))?.Kind);
    }

    [Fact]
    public void TamperedCiphertext_IsPayloadUndecryptable()
    {
        var writer = NewChannel();
        var reader = NewChannel();
        HydrateEnvelope.TryRead(writer.Encode(writer.CreateUpsert("k", Secret)), 1 << 20, out var envelope);
        for (var i = 0; i < envelope.Payload.Length; i++)
        {
            var payload = envelope.Payload.ToArray();
            payload[i] ^= 0x01;
            Assert.Null(reader.Decode((envelope with { Payload = payload }).ToArray()));
        }

        Assert.Equal(envelope.Payload.Length, reader.Statistics.GetDropped(HydrateDropReason.PayloadUndecryptable));
    }

    [Fact]
    public void CiphertextMovedToAnotherKeyVersionOrSender_IsPayloadUndecryptable()
    {
        var writer = NewChannel();
        var reader = NewChannel();
        HydrateEnvelope.TryRead(writer.Encode(writer.CreateUpsert("k", Secret)), 1 << 20, out var envelope);

        Assert.Null(reader.Decode((envelope with { Key = "other" }).ToArray()));
        Assert.Null(reader.Decode((envelope with { Version = new HybridTimestamp(envelope.Version.PhysicalTime + 1, 0) }).ToArray()));
        Assert.Null(reader.Decode((envelope with { SenderId = Guid.NewGuid() }).ToArray()));
        Assert.Null(NewChannel("orders").Decode(envelope.ToArray()));

        Assert.Equal(3, reader.Statistics.GetDropped(HydrateDropReason.PayloadUndecryptable));
    }

    [Fact]
    public void WrongKeyMaterialSameId_IsPayloadUndecryptable_UnknownIdOrNoKeys_IsUnknownKey()
    {
        var forger = NewChannel(encryptionKey: null, more: s => s.EncryptionKeys.Add(new HydrateKey("e1", SecurityTestKeys.Material("other", 32))));
        var stranger = NewChannel(encryptionKey: "e9");
        var reader = NewChannel();
        var plainReader = NewChannel(encryptionKey: null);

        Assert.Null(reader.Decode(forger.Encode(forger.CreateUpsert("k", Secret))));
        Assert.Null(reader.Decode(stranger.Encode(stranger.CreateUpsert("k", Secret))));
        Assert.Null(plainReader.Decode(reader.Encode(reader.CreateUpsert("k", Secret))));

        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.PayloadUndecryptable));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.UnknownKey));
        Assert.Equal(1, plainReader.Statistics.GetDropped(HydrateDropReason.UnknownKey));
    }

    [Fact]
    public void Rotation_ReaderWithOldAndNewKeys_DecryptsBoth()
    {
        var oldWriter = NewChannel(encryptionKey: "old");
        var newWriter = NewChannel(encryptionKey: "new");
        var reader = NewChannel(encryptionKey: null, more: s =>
        {
            s.EncryptionKeys.Add(SecurityTestKeys.Encryption("old"));
            s.EncryptionKeys.Add(SecurityTestKeys.Encryption("new"));
            s.CurrentEncryptionKeyId = "new";
        });

        Assert.Equal(Secret, reader.Decode(oldWriter.Encode(oldWriter.CreateUpsert("k", Secret)))?.Payload);
        Assert.Equal(Secret, reader.Decode(newWriter.Encode(newWriter.CreateUpsert("k", Secret)))?.Payload);
        HydrateEnvelope.TryRead(reader.Encode(reader.CreateUpsert("k", Secret)), 1 << 20, out var envelope);
        Assert.Equal("new", envelope.EncryptionKeyId);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(64)]
    public void EncryptionKey_NotAnAesLength_IsRefused(int length)
    {
        var ex = Assert.Throws<ArgumentException>(() => NewChannel(encryptionKey: null, more: s => s.EncryptionKeys.Add(new HydrateKey("bad", SecurityTestKeys.Material("bad", length)))));
        Assert.Contains("16, 24 or 32", ex.Message, StringComparison.Ordinal);
    }
}
