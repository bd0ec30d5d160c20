using System.Formats.Cbor;

namespace HydrateCache;

// Control frames (wire format v1, control topic "<topic>.control"; described in docs/wire-format.md).
//
// Same framing as an update frame: tag 55799, then a definite CBOR array whose item [0] is the format version (1) and
// item [1] the kind. Control kinds start at 16 so that a control frame published to a data topic by mistake is
// rejected there as an invalid field, never mistaken for an update. Ranges are flattened inclusive pairs
// [from1, to1, from2, to2, ...] of sender sequence numbers, at most MaxRanges pairs.
//
//   heartbeat  [1, 16, sender bstr(16), last sequence, first retransmittable sequence, version physical, version counter]
//   nak        [1, 17, sender bstr(16), requester bstr(16), since (Unix ms, 0 = none), ranges]
//   nak reply  [1, 18, sender bstr(16), requester bstr(16), floor (0 = none), lost ranges, void ranges]
//
// Readers skip items appended after these (additive evolution, as for updates). A signed control frame ends with one
// more item, the signature [ tstr key id, bstr(32) mac ] (see FrameSignature); items added to a kind later go before it.

/// <summary>The kinds of control frames.</summary>
internal enum ControlKind
{
    /// <summary>A sender's periodic announcement of its last sequence number, so receivers notice a lost tail.</summary>
    Heartbeat = 16,

    /// <summary>A receiver's request for the retransmission of sequence ranges it missed (a negative acknowledgement).</summary>
    Nak = 17,

    /// <summary>A sender's answer about requested sequences it cannot retransmit.</summary>
    NakReply = 18,
}

/// <summary>An inclusive range of sender sequence numbers.</summary>
internal readonly record struct SequenceRange(ulong From, ulong To)
{
    public ulong Count => To - From + 1;

    public override string ToString() => From == To ? $"{From}" : $"{From}-{To}";
}

/// <summary>One decoded control frame of a channel's control topic.</summary>
internal sealed record ControlFrame(
    ControlKind Kind,
    Guid Sender,
    Guid Requester,
    ulong LastSequence,
    ulong FirstAvailable,
    HybridTimestamp Version,
    long Since,
    ulong Floor,
    IReadOnlyList<SequenceRange> Ranges,
    IReadOnlyList<SequenceRange> VoidRanges)
{
    /// <summary>The most ranges one frame carries; a sender of more splits them (a receiver merges to stay under it).</summary>
    public const int MaxRanges = 256;

    /// <summary>The suffix that turns a channel's topic into its control topic.</summary>
    public const string TopicSuffix = ".control";

    private static readonly SequenceRange[] NoRanges = [];

    public static ControlFrame Heartbeat(Guid sender, ulong lastSequence, ulong firstAvailable, HybridTimestamp version) =>
        new(ControlKind.Heartbeat, sender, Guid.Empty, lastSequence, firstAvailable, version, 0, 0, NoRanges, NoRanges);

    public static ControlFrame Nak(Guid sender, Guid requester, long since, IReadOnlyList<SequenceRange> ranges) =>
        new(ControlKind.Nak, sender, requester, 0, 0, default, since, 0, ranges, NoRanges);

    public static ControlFrame NakReply(Guid sender, Guid requester, ulong floor, IReadOnlyList<SequenceRange> lost, IReadOnlyList<SequenceRange> voided) =>
        new(ControlKind.NakReply, sender, requester, 0, 0, default, 0, floor, lost, voided);

    public byte[] ToArray() => ToArray(null, default);

    /// <summary>
    /// Encodes the frame; with <paramref name="signingKey"/>, signed: the signature (see <see cref="FrameSignature"/>)
    /// is one more item after the kind's items.
    /// </summary>
    public byte[] ToArray(HydrateKey? signingKey, ReadOnlySpan<byte> domain)
    {
        var writer = HydrateEnvelope.CreateWriter();
        writer.WriteTag((CborTag)HydrateEnvelope.MagicTag);
        var signature = signingKey is null ? 0 : 1;
        switch (Kind)
        {
            case ControlKind.Heartbeat:
                writer.WriteStartArray(7 + signature);
                WriteHead(writer);
                writer.WriteUInt64(LastSequence);
                writer.WriteUInt64(FirstAvailable);
                writer.WriteUInt64((ulong)Version.PhysicalTime);
                writer.WriteUInt32(Version.Counter);
                break;
            case ControlKind.Nak:
                writer.WriteStartArray(6 + signature);
                WriteHead(writer);
                WriteGuid(writer, Requester);
                writer.WriteUInt64((ulong)Since);
                WriteRanges(writer, Ranges);
                break;
            default:
                writer.WriteStartArray(7 + signature);
                WriteHead(writer);
                WriteGuid(writer, Requester);
                writer.WriteUInt64(Floor);
                WriteRanges(writer, Ranges);
                WriteRanges(writer, VoidRanges);
                break;
        }

        if (signingKey is null)
        {
            writer.WriteEndArray();
            return writer.Encode();
        }

        var signedLength = FrameSignature.WritePlaceholder(writer, signingKey);
        writer.WriteEndArray();
        return FrameSignature.Seal(writer, signedLength, signingKey, domain);
    }

    /// <summary>Decodes a control frame; never throws for bad input.</summary>
    public static EnvelopeReadResult TryRead(ReadOnlyMemory<byte> frame, out ControlFrame? control)
    {
        control = null;
        if (frame.IsEmpty)
        {
            return EnvelopeReadResult.NotAFrame;
        }

        // A control frame is small: a heartbeat is ~45 bytes, the largest NAK reply under 10 KiB.
        if (frame.Length > 16 * 1024)
        {
            return EnvelopeReadResult.TooLarge;
        }

        try
        {
            return TryReadCore(new CborReader(frame, CborConformanceMode.Strict), out control);
        }
        catch (Exception ex) when (HydrateEnvelope.IsMalformedCbor(ex))
        {
            control = null;
            return EnvelopeReadResult.Malformed;
        }
    }

    private static EnvelopeReadResult TryReadCore(CborReader reader, out ControlFrame? control)
    {
        control = null;
        if (reader.PeekState() != CborReaderState.Tag || reader.ReadTag() != (CborTag)HydrateEnvelope.MagicTag)
        {
            return EnvelopeReadResult.NotAFrame;
        }

        var count = reader.ReadStartArray();
        if (reader.ReadUInt64() != HydrateEnvelope.FormatVersion)
        {
            return EnvelopeReadResult.UnsupportedVersion;
        }

        var kind = (ControlKind)reader.ReadUInt32();
        var expected = kind switch
        {
            ControlKind.Heartbeat => 7,
            ControlKind.Nak => 6,
            ControlKind.NakReply => 7,
            _ => -1,
        };
        if (expected < 0)
        {
            return EnvelopeReadResult.InvalidField;
        }

        if (count is not null && count < expected)
        {
            return EnvelopeReadResult.Malformed;
        }

        if (!TryReadGuid(reader, out var sender))
        {
            return EnvelopeReadResult.InvalidField;
        }

        switch (kind)
        {
            case ControlKind.Heartbeat:
                var last = reader.ReadUInt64();
                var first = reader.ReadUInt64();
                var physical = reader.ReadUInt64();
                var counter = reader.ReadUInt32();
                if (physical > long.MaxValue || (first > 0 && first - 1 > last)) // first <= last + 1, without overflow at last = 2^64-1
                {
                    return EnvelopeReadResult.InvalidField;
                }

                control = Heartbeat(sender, last, first, new HybridTimestamp((long)physical, counter));
                break;
            case ControlKind.Nak:
                {
                    if (!TryReadGuid(reader, out var requester))
                    {
                        return EnvelopeReadResult.InvalidField;
                    }

                    var since = reader.ReadUInt64();
                    if (since > long.MaxValue || TryReadRanges(reader) is not { } ranges)
                    {
                        return EnvelopeReadResult.InvalidField;
                    }

                    control = Nak(sender, requester, (long)since, ranges);
                    break;
                }

            default:
                {
                    if (!TryReadGuid(reader, out var requester))
                    {
                        return EnvelopeReadResult.InvalidField;
                    }

                    var floor = reader.ReadUInt64();
                    if (TryReadRanges(reader) is not { } lost || TryReadRanges(reader) is not { } voided)
                    {
                        return EnvelopeReadResult.InvalidField;
                    }

                    control = NakReply(sender, requester, floor, lost, voided);
                    break;
                }
        }

        while (reader.PeekState() != CborReaderState.EndArray)
        {
            reader.SkipValue();
        }

        reader.ReadEndArray();
        if (reader.BytesRemaining != 0)
        {
            control = null;
            return EnvelopeReadResult.Malformed;
        }

        return EnvelopeReadResult.Success;
    }

    private void WriteHead(CborWriter writer)
    {
        writer.WriteUInt32(HydrateEnvelope.FormatVersion);
        writer.WriteUInt32((uint)Kind);
        WriteGuid(writer, Sender);
    }

    private static void WriteGuid(CborWriter writer, Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        writer.WriteByteString(bytes);
    }

    private static bool TryReadGuid(CborReader reader, out Guid id)
    {
        var bytes = reader.ReadByteString();
        id = bytes.Length == 16 ? new Guid(bytes, bigEndian: true) : Guid.Empty;
        return bytes.Length == 16;
    }

    private static void WriteRanges(CborWriter writer, IReadOnlyList<SequenceRange> ranges)
    {
        var count = Math.Min(ranges.Count, MaxRanges);
        writer.WriteStartArray(count * 2);
        for (var i = 0; i < count; i++)
        {
            writer.WriteUInt64(ranges[i].From);
            writer.WriteUInt64(ranges[i].To);
        }

        writer.WriteEndArray();
    }

    /// <summary>Reads flattened pairs; null when the count is odd or too large, or a range is empty or starts at 0.</summary>
    private static List<SequenceRange>? TryReadRanges(CborReader reader)
    {
        var length = reader.ReadStartArray();
        if (length is null or > MaxRanges * 2 || length % 2 != 0)
        {
            return null;
        }

        var ranges = new List<SequenceRange>(length.Value / 2);
        for (var i = 0; i < length / 2; i++)
        {
            var from = reader.ReadUInt64();
            var to = reader.ReadUInt64();
            if (from == 0 || to < from)
            {
                return null;
            }

            ranges.Add(new SequenceRange(from, to));
        }

        reader.ReadEndArray();
        return ranges;
    }
}
