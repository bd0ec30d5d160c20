namespace HydrateCache;

/// <summary>Why a channel may have missed updates (<see cref="HydrateChannel{T}.LossDetected"/>).</summary>
public enum HydrateLossReason
{
    /// <summary>The transport reported messages it lost (a full subscription buffer, a client library drop): which ones is unknown.</summary>
    TransportLoss,

    /// <summary>
    /// Messages of one sender were missed and could not be retransmitted: the sender no longer holds them, or did not
    /// answer the requests for them.
    /// </summary>
    Unrecoverable,

    /// <summary>
    /// The transport reconnected after losing its connection: messages published meanwhile may never arrive. Loss
    /// recovery asks for what it can tell is missing; this reason is for repairs that do not depend on it (a source reload).
    /// </summary>
    Reconnected,
}
