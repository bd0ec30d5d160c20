namespace HydrateCache;

/// <summary>Describes updates a channel may have missed for good: its cache may be stale until repaired otherwise.</summary>
/// <param name="channel">The channel name.</param>
/// <param name="reason">Why.</param>
/// <param name="senderId">The sender whose messages were missed, when known.</param>
/// <param name="count">How many messages were missed.</param>
public sealed class HydrateLossEventArgs(string channel, HydrateLossReason reason, Guid? senderId, long count) : EventArgs
{
    /// <summary>Gets the channel name.</summary>
    public string Channel { get; } = channel;

    /// <summary>Gets why the channel may have missed updates.</summary>
    public HydrateLossReason Reason { get; } = reason;

    /// <summary>Gets the sender whose messages were missed, or <see langword="null"/> when the transport does not know.</summary>
    public Guid? SenderId { get; } = senderId;

    /// <summary>Gets how many messages were missed.</summary>
    public long Count { get; } = count;
}
