namespace HydrateCache;

/// <summary>
/// Reads the metadata of a frame without decoding its payload, for transports that map it onto broker features
/// (for example Kafka's message key and headers) and for tools that inspect traffic.
/// </summary>
public static class HydrateFrame
{
    /// <summary>Reads the metadata of <paramref name="frame"/>.</summary>
    /// <param name="frame">A frame as published by a <see cref="HydrateChannel{T}"/> (wire format v1).</param>
    /// <param name="metadata">The metadata, when the frame is valid.</param>
    /// <returns><see langword="true"/> when <paramref name="frame"/> is a valid frame; never throws for bad input.</returns>
    public static bool TryReadMetadata(ReadOnlyMemory<byte> frame, out HydrateFrameMetadata metadata)
    {
        if (HydrateEnvelope.TryRead(frame, int.MaxValue, out var envelope) == EnvelopeReadResult.Success)
        {
            metadata = new HydrateFrameMetadata(envelope.Kind, envelope.Key, envelope.Version, envelope.SenderId, envelope.Sequence, envelope.Ttl, envelope.CodecId);
            return true;
        }

        metadata = default;
        return false;
    }
}
