namespace HydrateCache;

/// <summary>A message received from a transport.</summary>
/// <param name="Topic">The topic the message was published to.</param>
/// <param name="Body">The message bytes, valid only while the handler runs. Empty in a loss notice (see <see cref="IsLossNotice"/>).</param>
public readonly record struct TransportMessage(string Topic, ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// Gets the number of messages of this subscription that the transport lost right before this one: dropped from a
    /// full buffer (<see cref="TransportOverflowPolicy.DropOldest"/>) or by the client library. Zero on a lossless stream.
    /// </summary>
    /// <remarks>
    /// Losses are reported in band, at the place in the stream where they happened, so a receiver knows exactly which
    /// part of the stream it missed. When nothing follows a loss, the transport delivers a <i>loss notice</i>: an entry
    /// with <see cref="IsLossNotice"/> set, an empty <see cref="TransportMessage.Body"/> and <see cref="LostBefore"/> greater than zero.
    /// </remarks>
    public long LostBefore { get; init; }

    /// <summary>Gets a value indicating whether this is a loss notice only: no message, just <see cref="LostBefore"/> messages lost.</summary>
    public bool IsLossNotice { get; init; }
}
