namespace HydrateCache;

/// <summary>Why a received message was dropped instead of delivered.</summary>
public enum HydrateDropReason
{
    /// <summary>The bytes are empty or do not start with the HydrateCache magic tag.</summary>
    NotAFrame,

    /// <summary>The frame declares a wire-format version this library cannot read.</summary>
    UnsupportedVersion,

    /// <summary>The bytes are not well-formed CBOR of the envelope's shape (truncated, garbage, trailing bytes, wrong types).</summary>
    Malformed,

    /// <summary>A field is out of its domain: unknown kind, empty key, bad sender id, or payload/TTL inconsistent with the kind.</summary>
    InvalidField,

    /// <summary>The frame is larger than the channel's <see cref="HydrateChannelOptions{T}.MaxMessageBytes"/>.</summary>
    TooLarge,

    /// <summary>The payload was written by another codec than the channel's.</summary>
    CodecMismatch,

    /// <summary>The channel's codec failed to decode the payload.</summary>
    PayloadUndecodable,

    /// <summary>
    /// The transport lost the message before the channel saw it: the subscription's buffer was full under
    /// <see cref="TransportOverflowPolicy.DropOldest"/>, or the client library dropped it (see <see cref="TransportMessage.LostBefore"/>).
    /// </summary>
    TransportLoss,

    /// <summary>
    /// The version's physical time is further ahead of the receiver's clock than
    /// <see cref="HydrateChannelOptions{T}.MaxClockSkew"/>: the sender's clock runs ahead, or the version is corrupt.
    /// </summary>
    ClockSkew,
}
