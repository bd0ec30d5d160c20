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

    /// <summary>The channel requires signatures (<see cref="HydrateSecurityOptions.RequireSignature"/>) and the frame has none.</summary>
    Unsigned,

    /// <summary>
    /// The frame is signed, or its payload encrypted, with a key id the channel does not accept: a key rotated out, one
    /// not rolled out here yet, or a frame of someone without the keys.
    /// </summary>
    UnknownKey,

    /// <summary>The frame's signature does not verify: it was changed after signing, signed with another key of the same id,
    /// or signed for another channel (replayed from another topic).</summary>
    BadSignature,

    /// <summary>The encrypted payload does not authenticate under its key: tampered with, encrypted with another key of the
    /// same id, or moved from another frame.</summary>
    PayloadUndecryptable,
}
