namespace HydrateCache;

/// <summary>What a <see cref="TransportSubscriptionPump"/> does with a new message when its buffer is full.</summary>
public enum TransportOverflowPolicy
{
    /// <summary>
    /// The producer waits for room (<see cref="TransportSubscriptionPump.PostAsync"/>): nothing is lost, and a slow handler
    /// slows the producer down. For sources that can be slowed without harm, such as an in-process bus.
    /// </summary>
    Wait,

    /// <summary>
    /// The oldest buffered messages are dropped to make room. Every drop is counted, logged (rate limited) and reported to
    /// the handler in band (<see cref="TransportMessage.LostBefore"/>). For network clients whose socket reader must never
    /// block: a blocked reader stalls every subscription of the connection until the server cuts it off.
    /// </summary>
    DropOldest,
}
