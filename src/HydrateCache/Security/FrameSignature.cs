using System.Diagnostics;
using System.Formats.Cbor;
using System.Security.Cryptography;

namespace HydrateCache;

// Frame signatures (wire format v1, described in docs/wire-format.md, "Signatures").
//
// A signed frame (update or control) ends its top-level array with one more item:
//
//   [ tstr key id (1..64 chars), bstr(32) mac ]
//   mac = HMAC-SHA256(key, domain || frame[0 .. start of that item])
//   domain = "hydratecache-signature-v1" || uint32 big-endian byte length of the topic || topic (UTF-8)
//
// The signed bytes start at the frame's first byte (the magic tag included) and end where the signature item starts.
// The topic is the one the frame is published on: the channel's topic for updates, "<topic>.control" for control
// frames, so a frame replayed onto another channel, or from one topic of a channel onto the other, does not verify.

/// <summary>How a frame ends: with a signature item, without one, or not as a frame at all.</summary>
internal enum FrameSignatureStatus
{
    /// <summary>The frame's last item is a signature.</summary>
    Signed,

    /// <summary>The frame is well formed but its last item is not a signature.</summary>
    Unsigned,

    /// <summary>The bytes do not start with the magic tag and an array.</summary>
    NotAFrame,

    /// <summary>The bytes are not one well-formed CBOR item.</summary>
    Malformed,
}

/// <summary>Writes and splits the signature item that ends a signed frame; the one place that knows its layout.</summary>
internal static class FrameSignature
{
    /// <summary>The length of an HMAC-SHA256 tag.</summary>
    public const int MacLength = HMACSHA256.HashSizeInBytes;

    /// <summary>The shortest signing key accepted: as long as the hash output (RFC 2104 section 3).</summary>
    public const int MinKeyLength = 32;

    private static ReadOnlySpan<byte> Label => "hydratecache-signature-v1"u8;

    /// <summary>Creates the domain that binds a signature to the topic its frame is published on.</summary>
    public static byte[] CreateDomain(string topic) => SecurityLabel.Bind(Label, topic);

    /// <summary>
    /// Writes the signature item with a zero MAC as the last item of the array being written; returns where it starts
    /// (the length of the signed bytes). <see cref="Seal"/> fills in the MAC once the frame is encoded.
    /// </summary>
    public static int WritePlaceholder(CborWriter writer, HydrateKey key)
    {
        var signedLength = writer.BytesWritten;
        writer.WriteStartArray(2);
        writer.WriteTextString(key.Id);
        Span<byte> zero = stackalloc byte[MacLength];
        zero.Clear();
        writer.WriteByteString(zero);
        writer.WriteEndArray();
        return signedLength;
    }

    /// <summary>Encodes a frame whose last item <see cref="WritePlaceholder"/> wrote, and signs it.</summary>
    public static byte[] Seal(CborWriter writer, int signedLength, HydrateKey key, ReadOnlySpan<byte> domain)
    {
        var frame = writer.Encode();

        // A definite-length array has no end marker: the MAC is the frame's last 32 bytes.
        ComputeMac(key, domain, frame.AsSpan(0, signedLength), frame.AsSpan(frame.Length - MacLength));
        return frame;
    }

    /// <summary>Checks <paramref name="mac"/> against the MAC of <paramref name="signed"/> under <paramref name="key"/>, in constant time.</summary>
    public static bool Verify(HydrateKey key, ReadOnlySpan<byte> domain, ReadOnlySpan<byte> signed, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MacLength];
        ComputeMac(key, domain, signed, expected);
        return mac.Length == MacLength && CryptographicOperations.FixedTimeEquals(expected, mac);
    }

    /// <summary>
    /// Splits a frame into the signed bytes, the key id and the MAC by walking its top-level array. Never throws for bad
    /// input; the work is linear in the frame's length (every item is skipped once, the last one read once more).
    /// </summary>
    public static FrameSignatureStatus TrySplit(ReadOnlyMemory<byte> frame, out int signedLength, out string? keyId, out ReadOnlyMemory<byte> mac)
    {
        signedLength = 0;
        keyId = null;
        mac = default;
        if (frame.IsEmpty)
        {
            return FrameSignatureStatus.NotAFrame;
        }

        try
        {
            var reader = new CborReader(frame, CborConformanceMode.Strict);
            if (reader.PeekState() != CborReaderState.Tag || reader.ReadTag() != (CborTag)HydrateEnvelope.MagicTag
                || reader.PeekState() != CborReaderState.StartArray)
            {
                return FrameSignatureStatus.NotAFrame;
            }

            reader.ReadStartArray();
            int lastStart = -1, lastEnd = -1;
            while (reader.PeekState() != CborReaderState.EndArray)
            {
                lastStart = frame.Length - reader.BytesRemaining;
                reader.SkipValue();
                lastEnd = frame.Length - reader.BytesRemaining;
            }

            reader.ReadEndArray();
            if (reader.BytesRemaining != 0)
            {
                return FrameSignatureStatus.Malformed;
            }

            if (lastStart < 0 || !TryReadSignature(frame[lastStart..lastEnd], out keyId, out mac))
            {
                return FrameSignatureStatus.Unsigned;
            }

            signedLength = lastStart;
            return FrameSignatureStatus.Signed;
        }
        catch (Exception ex) when (HydrateEnvelope.IsMalformedCbor(ex))
        {
            keyId = null;
            mac = default;
            return FrameSignatureStatus.Malformed;
        }
    }

    /// <summary>Reads <c>[ tstr key id, bstr(32) mac ]</c>; false for any other item.</summary>
    private static bool TryReadSignature(ReadOnlyMemory<byte> item, out string? keyId, out ReadOnlyMemory<byte> mac)
    {
        keyId = null;
        mac = default;
        var reader = new CborReader(item, CborConformanceMode.Strict);
        if (reader.PeekState() != CborReaderState.StartArray || reader.ReadStartArray() != 2
            || reader.PeekState() != CborReaderState.TextString)
        {
            return false;
        }

        var id = reader.ReadTextString();
        if (id.Length is 0 or > HydrateEnvelope.MaxKeyIdLength || reader.PeekState() != CborReaderState.ByteString)
        {
            return false;
        }

        var tag = reader.ReadDefiniteLengthByteString();
        if (tag.Length != MacLength)
        {
            return false;
        }

        keyId = id;
        mac = tag;
        return true;
    }

    private static void ComputeMac(HydrateKey key, ReadOnlySpan<byte> domain, ReadOnlySpan<byte> signed, Span<byte> destination)
    {
        Debug.Assert(key.Length >= MinKeyLength, "signing keys are checked when they are obtained");
        key.ComputeHmacSha256(domain, signed, destination);
    }
}
