using System.Buffers;
using System.Formats.Cbor;

namespace HydrateCache;

// Wire format v1 (frozen by EnvelopeGoldenBytesTests; described for other languages in docs/wire-format.md).
//
// A frame is one CBOR data item (RFC 8949), written with definite lengths and the shortest integer forms:
//
//   d9 d9 f7            tag 55799 "self-described CBOR": the magic that tells a HydrateCache frame from stray bytes
//   8a                  array(10); a v1 reader accepts 10 items or more and ignores the extra ones, so fields can be
//                       appended without a version bump; any change a v1 reader cannot ignore bumps item [0]
//   [0] uint            format version: 1
//   [1] uint            kind: 1 = upsert, 2 = delete, 3 = invalidate (a new version without its value; shaped like a delete)
//   [2] tstr            key: non-empty UTF-8
//   [3] uint            version, physical part: Unix time in milliseconds (hybrid logical clock)
//   [4] uint            version, logical counter (0 .. 2^32-1)
//   [5] bstr(16)        sender id: a UUID in RFC 9562 (network, big-endian) byte order
//   [6] uint            sender sequence on this channel: 1, 2, 3, ... (gap detection)
//   [7] null | array(2) TTL: [ int start (Unix ms), uint duration (ms, > 0) ]; null when the value does not expire.
//                       Always null for a delete or an invalidate.
//   [8] null | tstr     codec id of the payload (e.g. "cbor"); null for a delete or an invalidate
//   [9] null | bstr     payload, as written by that codec; null for a delete or an invalidate
//   [10] null | map     optional, extensions: uint key -> value, keys ascending, each at most once; readers skip keys
//                       they do not know. Written only when there is one (a frame without extensions stays 10 items).
//                         1: tstr   W3C traceparent of the publishing span ("00-<trace id>-<span id>-<flags>")
//                         2: tstr   W3C tracestate of the publishing span
//                         3: array  payload encryption: [ tstr key id, bstr nonce ]; item [9] is then the ciphertext
//                                   followed by its authentication tag
//   [11] array(2)       optional, the signature of a signed frame: [ tstr key id, bstr(32) HMAC-SHA256 ] over the bytes
//                       before it (see FrameSignature); item [10] is then always written, null without extensions.
//                       A reader that does not verify signatures skips it like any later item.
//   [12..]              appended by later revisions; skipped by this reader
//
// Readers reject (with an EnvelopeReadResult, never an exception): frames over the size limit, bytes that are not one
// well-formed CBOR item, a missing magic tag, a format version other than 1, a wrong type in any field, an unknown kind,
// an empty key, a sender id that is not 16 bytes, an upsert without codec id or payload, a delete or invalidate with a payload or TTL,
// a TTL with a non-positive duration, and trailing bytes after the item.

/// <summary>One decoded frame of the wire format. The payload is still encoded by the codec named in <see cref="CodecId"/>.</summary>
internal readonly record struct HydrateEnvelope(
    MessageKind Kind,
    string Key,
    HybridTimestamp Version,
    Guid SenderId,
    ulong Sequence,
    Ttl? Ttl,
    string? CodecId,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The longest trace context field (traceparent or tracestate) accepted; W3C limits tracestate to 512 characters.</summary>
    public const int MaxTraceFieldLength = 512;

    /// <summary>The longest encryption key id accepted.</summary>
    public const int MaxKeyIdLength = 64;

    /// <summary>Gets the W3C traceparent of the span that published the update (extension 1), if any.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Gets the W3C tracestate of the span that published the update (extension 2), if any.</summary>
    public string? TraceState { get; init; }

    /// <summary>Gets the id of the key that encrypted the payload (extension 3), or <see langword="null"/> for a plain payload.</summary>
    public string? EncryptionKeyId { get; init; }

    /// <summary>Gets the nonce the payload was encrypted with (extension 3).</summary>
    public ReadOnlyMemory<byte> EncryptionNonce { get; init; }

    private bool HasExtensions => TraceParent is not null || TraceState is not null || EncryptionKeyId is not null;

    /// <summary>The CBOR tag that starts every frame (self-described CBOR, RFC 8949 section 3.4.6).</summary>
    public const ulong MagicTag = 55799;

    private const int V1ItemCount = 10;

    private const uint TraceParentExtension = 1;
    private const uint TraceStateExtension = 2;
    private const uint EncryptionExtension = 3;

    /// <summary>Encodes the envelope into a new array.</summary>
    public byte[] ToArray() => ToArray(CreateWriter());

    /// <summary>Encodes the envelope into a new array of exactly its length, with <paramref name="writer"/> (reset first) as the scratch buffer.</summary>
    internal byte[] ToArray(CborWriter writer)
    {
        writer.Reset();
        Write(writer);
        return writer.Encode();
    }

    /// <summary>Creates a writer with the settings every frame (and control frame) is written with.</summary>
    internal static CborWriter CreateWriter() =>
        new(CborConformanceMode.Strict, convertIndefiniteLengthEncodings: false, allowMultipleRootLevelValues: false);

    /// <summary>
    /// Encodes the envelope into a new array signed with <paramref name="signingKey"/>: item [10] is always written
    /// (<see langword="null"/> without extensions) and item [11] is the signature (see <see cref="FrameSignature"/>).
    /// </summary>
    /// <param name="signingKey">The key to sign with.</param>
    /// <param name="domain">The signature domain of the topic the frame is published on.</param>
    public byte[] ToSignedArray(HydrateKey signingKey, ReadOnlySpan<byte> domain) => ToSignedArray(CreateWriter(), signingKey, domain);

    /// <summary>Encodes and signs like <see cref="ToSignedArray(HydrateKey, ReadOnlySpan{byte})"/>, with <paramref name="writer"/> (reset first) as the scratch buffer.</summary>
    internal byte[] ToSignedArray(CborWriter writer, HydrateKey signingKey, ReadOnlySpan<byte> domain)
    {
        writer.Reset();
        WriteItems(writer, V1ItemCount + 2, writeExtensions: true);
        var signedLength = FrameSignature.WritePlaceholder(writer, signingKey);
        writer.WriteEndArray();
        return FrameSignature.Seal(writer, signedLength, signingKey, domain);
    }

    /// <summary>Encodes the envelope into <paramref name="destination"/>.</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        var writer = CreateWriter();
        Write(writer);
        var span = destination.GetSpan(writer.BytesWritten);
        var written = writer.Encode(span);
        destination.Advance(written);
    }

    private void Write(CborWriter writer)
    {
        var hasExtensions = HasExtensions;
        WriteItems(writer, hasExtensions ? V1ItemCount + 1 : V1ItemCount, hasExtensions);
        writer.WriteEndArray();
    }

    /// <summary>Writes the tag, the array header for <paramref name="itemCount"/> items, and items [0] to [9] (and [10]); the caller ends the array.</summary>
    private void WriteItems(CborWriter writer, int itemCount, bool writeExtensions)
    {
        writer.WriteTag((CborTag)MagicTag);
        writer.WriteStartArray(itemCount);
        writer.WriteUInt32(FormatVersion);
        writer.WriteUInt32((uint)Kind);
        writer.WriteTextString(Key);
        writer.WriteUInt64((ulong)Version.PhysicalTime);
        writer.WriteUInt32(Version.Counter);

        Span<byte> sender = stackalloc byte[16];
        SenderId.TryWriteBytes(sender, bigEndian: true, out _);
        writer.WriteByteString(sender);

        writer.WriteUInt64(Sequence);
        if (Ttl is { } ttl)
        {
            writer.WriteStartArray(2);
            writer.WriteInt64(ttl.Start.ToUnixTimeMilliseconds());
            writer.WriteUInt64((ulong)(ttl.Duration.Ticks / TimeSpan.TicksPerMillisecond));
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNull();
        }

        if (CodecId is null)
        {
            writer.WriteNull();
            writer.WriteNull();
        }
        else
        {
            writer.WriteTextString(CodecId);
            writer.WriteByteString(Payload.Span);
        }

        if (HasExtensions)
        {
            WriteExtensions(writer);
        }
        else if (writeExtensions)
        {
            writer.WriteNull();
        }
    }

    private void WriteExtensions(CborWriter writer)
    {
        writer.WriteStartMap((TraceParent is null ? 0 : 1) + (TraceState is null ? 0 : 1) + (EncryptionKeyId is null ? 0 : 1));
        if (TraceParent is not null)
        {
            writer.WriteUInt32(TraceParentExtension);
            writer.WriteTextString(TraceParent);
        }

        if (TraceState is not null)
        {
            writer.WriteUInt32(TraceStateExtension);
            writer.WriteTextString(TraceState);
        }

        if (EncryptionKeyId is not null)
        {
            writer.WriteUInt32(EncryptionExtension);
            writer.WriteStartArray(2);
            writer.WriteTextString(EncryptionKeyId);
            writer.WriteByteString(EncryptionNonce.Span);
            writer.WriteEndArray();
        }

        writer.WriteEndMap();
    }

    /// <summary>Decodes one frame. Never throws for bad input: the result says what was wrong.</summary>
    /// <param name="frame">The bytes received from the transport.</param>
    /// <param name="maxFrameBytes">Frames longer than this are rejected before parsing.</param>
    /// <param name="envelope">The decoded envelope when the result is <see cref="EnvelopeReadResult.Success"/>.</param>
    public static EnvelopeReadResult TryRead(ReadOnlyMemory<byte> frame, int maxFrameBytes, out HydrateEnvelope envelope) =>
        TryRead(frame, maxFrameBytes, reader: null, out envelope);

    /// <summary>Creates the reader <see cref="TryRead(ReadOnlyMemory{byte}, int, CborReader?, out HydrateEnvelope)"/> reuses: strict conformance, as frames are written.</summary>
    /// <returns>A reader over no data.</returns>
    public static CborReader CreateReader() => new(ReadOnlyMemory<byte>.Empty, CborConformanceMode.Strict);

    /// <summary>Decodes one frame with a reusable reader, so a receive path allocates no reader per frame.</summary>
    /// <param name="frame">The bytes received from the transport.</param>
    /// <param name="maxFrameBytes">Frames longer than this are rejected before parsing.</param>
    /// <param name="reader">
    /// A reader from <see cref="CreateReader"/>, used by one caller at a time and reset to <paramref name="frame"/> first
    /// (so a reader left anywhere by a malformed frame is fine); a new one when <see langword="null"/>. The envelope does
    /// not refer to it afterwards, but the caller should reset it to no data before pooling it, so it does not keep the
    /// frame's memory alive.
    /// </param>
    /// <param name="envelope">The decoded envelope when the result is <see cref="EnvelopeReadResult.Success"/>.</param>
    /// <returns>Whether the frame was decoded, and if not, why.</returns>
    public static EnvelopeReadResult TryRead(ReadOnlyMemory<byte> frame, int maxFrameBytes, CborReader? reader, out HydrateEnvelope envelope)
    {
        envelope = default;
        if (frame.Length > maxFrameBytes)
        {
            return EnvelopeReadResult.TooLarge;
        }

        if (frame.IsEmpty)
        {
            return EnvelopeReadResult.NotAFrame;
        }

        try
        {
            if (reader is null)
            {
                reader = new CborReader(frame, CborConformanceMode.Strict);
            }
            else
            {
                reader.Reset(frame);
            }

            return TryReadCore(reader, out envelope);
        }
        catch (Exception ex) when (IsMalformedCbor(ex))
        {
            envelope = default;
            return EnvelopeReadResult.Malformed;
        }
    }

    /// <summary>Whether <paramref name="exception"/> is how <see cref="CborReader"/> reports malformed data or an unexpected data type.</summary>
    internal static bool IsMalformedCbor(Exception exception) =>
        exception is CborContentException or InvalidOperationException or FormatException or OverflowException or ArgumentException;

    private static EnvelopeReadResult TryReadCore(CborReader reader, out HydrateEnvelope envelope)
    {
        envelope = default;
        if (reader.PeekState() != CborReaderState.Tag || reader.ReadTag() != (CborTag)MagicTag)
        {
            return EnvelopeReadResult.NotAFrame;
        }

        var count = reader.ReadStartArray();
        if (reader.PeekState() != CborReaderState.UnsignedInteger)
        {
            return EnvelopeReadResult.Malformed;
        }

        if (reader.ReadUInt64() != FormatVersion)
        {
            return EnvelopeReadResult.UnsupportedVersion;
        }

        if (count is not null && count < V1ItemCount)
        {
            return EnvelopeReadResult.Malformed;
        }

        var kind = reader.ReadUInt32();
        if (kind is not ((uint)MessageKind.Upsert or (uint)MessageKind.Delete or (uint)MessageKind.Invalidate))
        {
            return EnvelopeReadResult.InvalidField;
        }

        var key = reader.ReadTextString();
        if (key.Length == 0)
        {
            return EnvelopeReadResult.InvalidField;
        }

        var physical = reader.ReadUInt64();
        if (physical > long.MaxValue)
        {
            return EnvelopeReadResult.InvalidField;
        }

        var counter = reader.ReadUInt32();
        var senderBytes = ReadBytes(reader);
        if (senderBytes.Length != 16)
        {
            return EnvelopeReadResult.InvalidField;
        }

        var sender = new Guid(senderBytes.Span, bigEndian: true);
        var sequence = reader.ReadUInt64();

        Ttl? ttl = null;
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
        }
        else
        {
            if (reader.ReadStartArray() != 2)
            {
                return EnvelopeReadResult.InvalidField;
            }

            var startMs = reader.ReadInt64();
            var durationMs = reader.ReadUInt64();
            reader.ReadEndArray();
            if (durationMs == 0 || durationMs > (ulong)TimeSpan.MaxValue.TotalMilliseconds
                || startMs < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || startMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                return EnvelopeReadResult.InvalidField;
            }

            var start = DateTimeOffset.FromUnixTimeMilliseconds(startMs);
            var duration = TimeSpan.FromMilliseconds((long)durationMs); // the long overload: exact, where the double one rounds beyond 2^53 ticks
            if (DateTimeOffset.MaxValue - start < duration)
            {
                return EnvelopeReadResult.InvalidField;
            }

            ttl = new Ttl(start, duration);
        }

        string? codecId = null;
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
        }
        else
        {
            codecId = reader.ReadTextString();
        }

        ReadOnlyMemory<byte> payload = default;
        var hasPayload = false;
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
        }
        else
        {
            payload = ReadBytes(reader);
            hasPayload = true;
        }

        var messageKind = (MessageKind)kind;
        // A delete and an invalidate carry the key and version only.
        var consistent = messageKind == MessageKind.Upsert
            ? codecId is not null && hasPayload
            : codecId is null && !hasPayload && ttl is null;
        if (!consistent)
        {
            return EnvelopeReadResult.InvalidField;
        }

        envelope = new HydrateEnvelope(messageKind, key, new HybridTimestamp((long)physical, counter), sender, sequence, ttl, codecId, payload);
        if (reader.PeekState() != CborReaderState.EndArray && !TryReadExtensions(reader, ref envelope))
        {
            envelope = default;
            return EnvelopeReadResult.InvalidField;
        }

        // Items appended by a later minor revision of v1 are skipped.
        while (reader.PeekState() != CborReaderState.EndArray)
        {
            reader.SkipValue();
        }

        reader.ReadEndArray();
        if (reader.BytesRemaining != 0)
        {
            envelope = default;
            return EnvelopeReadResult.Malformed;
        }

        return EnvelopeReadResult.Success;
    }

    /// <summary>Reads item [10]: <see langword="null"/> or the extensions map; unknown keys are skipped, known ones checked.</summary>
    private static bool TryReadExtensions(CborReader reader, ref HydrateEnvelope envelope)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return true;
        }

        if (reader.PeekState() != CborReaderState.StartMap)
        {
            return false;
        }

        reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            var extension = reader.ReadUInt64();
            switch (extension)
            {
                case TraceParentExtension:
                    var traceParent = reader.ReadTextString();
                    if (traceParent.Length is 0 or > MaxTraceFieldLength)
                    {
                        return false;
                    }

                    envelope = envelope with { TraceParent = traceParent };
                    break;
                case TraceStateExtension:
                    var traceState = reader.ReadTextString();
                    if (traceState.Length > MaxTraceFieldLength)
                    {
                        return false;
                    }

                    envelope = envelope with { TraceState = traceState };
                    break;
                case EncryptionExtension:
                    if (reader.ReadStartArray() != 2 || envelope.Kind != MessageKind.Upsert)
                    {
                        return false;
                    }

                    var keyId = reader.ReadTextString();
                    var nonce = ReadBytes(reader);
                    reader.ReadEndArray();
                    if (keyId.Length is 0 or > MaxKeyIdLength || nonce.IsEmpty)
                    {
                        return false;
                    }

                    envelope = envelope with { EncryptionKeyId = keyId, EncryptionNonce = nonce };
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        }

        reader.ReadEndMap();
        return true;
    }

    private static ReadOnlyMemory<byte> ReadBytes(CborReader reader) =>
        reader.PeekState() == CborReaderState.StartIndefiniteLengthByteString
            ? reader.ReadByteString()
            : reader.ReadDefiniteLengthByteString();
}

/// <summary>The outcome of decoding a frame.</summary>
internal enum EnvelopeReadResult
{
    /// <summary>The frame was decoded.</summary>
    Success,

    /// <summary>The bytes do not start with the HydrateCache magic tag, or are empty.</summary>
    NotAFrame,

    /// <summary>The frame declares a format version this library does not read.</summary>
    UnsupportedVersion,

    /// <summary>The bytes are not one well-formed CBOR item of the expected shape (truncated, garbage, trailing bytes, wrong types).</summary>
    Malformed,

    /// <summary>A field has a value outside its domain (unknown kind, empty key, bad sender id, inconsistent payload).</summary>
    InvalidField,

    /// <summary>The frame is longer than the configured limit.</summary>
    TooLarge,
}
