namespace HydrateCache;

/// <summary>
/// Options of a channel's loss recovery: heartbeats that reveal a lost tail, negative acknowledgements (NAKs) that ask a
/// sender to publish again what a receiver missed, and the window of recent messages each sender keeps to answer them.
/// </summary>
/// <remarks>
/// <para>Each <see cref="HydrateChannel{T}"/> that publishes keeps its last messages (bounded by
/// <see cref="RetransmitWindowMessages"/>, <see cref="RetransmitWindowBytes"/> and <see cref="RetransmitWindowAge"/>)
/// and, while it holds any, announces its last sequence number on the channel's control topic (the channel's topic
/// followed by <c>.control</c>) every <see cref="HeartbeatInterval"/>. A receiver that sees a sequence number skip, or a
/// heartbeat announce more than it received, asks the sender for the missing range after a random part of
/// <see cref="NakDelay"/>; the sender publishes those messages again on the channel's topic, where every receiver
/// applies them by version, so a retransmission is harmless to those that had them. A request another receiver already
/// made for the same range is not repeated, and the sender publishes a message at most once per
/// <see cref="RetransmitHoldoff"/>, so N receivers missing the same range cause one retransmission.</para>
/// <para>What cannot be recovered this way (the sender is gone, or no longer holds the range, or
/// <see cref="NakAttempts"/> requests went unanswered) raises <see cref="HydrateChannel{T}.LossDetected"/>, and is
/// counted in <see cref="HydrateChannelStatistics.Unrecovered"/>: the Orleans integration then repairs from peer silos.</para>
/// </remarks>
public sealed class HydrateRecoveryOptions
{
    /// <summary>Gets or sets a value indicating whether the channel takes part in loss recovery.</summary>
    /// <value>Defaults to <see langword="true"/>. Every instance of a channel should use the same setting: an instance
    /// without it neither answers nor sends requests, and its messages cannot be recovered.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets how often a sender that holds messages in its window announces its last sequence number.</summary>
    /// <value>Defaults to 1 second. A lost tail is requested within about two intervals plus <see cref="NakDelay"/>: the
    /// heartbeat that announces it comes within one, and the receiver waits one more before asking, because heartbeats
    /// travel apart from the data and may overtake it (about 2.2 s measured on every transport).</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest a receiver waits after noticing a gap before asking for it (it waits a random time
    /// between half of this and this): time for a transport that reorders to deliver it, and for one receiver's request
    /// to make the others' unnecessary.</summary>
    /// <value>Defaults to 200 milliseconds. Kafka orders per key only, so messages of one sender on different partitions
    /// can arrive out of order: raise it when many requests turn out unnecessary (<see cref="HydrateChannelStatistics.RetransmitRequests"/>
    /// much higher than <see cref="HydrateChannelStatistics.Recovered"/>).</value>
    public TimeSpan NakDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Gets or sets how long a receiver waits for a requested retransmission before asking again.</summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan NakRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many times a receiver asks for a missing range before it gives it up as unrecoverable.</summary>
    /// <value>Defaults to 3.</value>
    public int NakAttempts { get; set; } = 3;

    /// <summary>Gets or sets the most messages a sender keeps for retransmission.</summary>
    /// <value>Defaults to 10,000.</value>
    public int RetransmitWindowMessages { get; set; } = 10_000;

    /// <summary>Gets or sets the most bytes of messages a sender keeps for retransmission (frames plus 64 bytes each).</summary>
    /// <value>Defaults to 16 MiB.</value>
    public long RetransmitWindowBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets how long a sender keeps a message for retransmission, and keeps sending heartbeats after its last message.</summary>
    /// <value>Defaults to 1 minute: a subscriber disconnected for less recovers everything from the senders themselves.</value>
    public TimeSpan RetransmitWindowAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the shortest time between two retransmissions of the same message.</summary>
    /// <value>Defaults to 250 milliseconds; keep it shorter than <see cref="NakRetryInterval"/>.</value>
    public TimeSpan RetransmitHoldoff { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Gets or sets the most senders a receiver tracks; beyond it, the one silent the longest is forgotten.</summary>
    /// <value>Defaults to 10,000.</value>
    public int MaxTrackedSenders { get; set; } = 10_000;

    /// <summary>
    /// Gets how long after a transport loss or a reconnect a receiver has either received what it missed or given it up
    /// as unrecoverable: a lost tail shows after two heartbeat intervals, then the longest request delay and every
    /// request attempt (5.2 seconds on the defaults). The health report ends a "possibly stale" state after it.
    /// </summary>
    internal TimeSpan SelfRepairTime => (2 * HeartbeatInterval) + NakDelay + (NakAttempts * NakRetryInterval);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every value is usable.</summary>
    internal void Validate()
    {
        Positive(HeartbeatInterval, "Recovery.HeartbeatInterval");
        Positive(NakDelay, "Recovery.NakDelay");
        Positive(NakRetryInterval, "Recovery.NakRetryInterval");
        Positive(RetransmitWindowAge, "Recovery.RetransmitWindowAge");
        Positive(RetransmitHoldoff, "Recovery.RetransmitHoldoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(NakAttempts, 1, "Recovery.NakAttempts");
        ArgumentOutOfRangeException.ThrowIfLessThan(RetransmitWindowMessages, 1, "Recovery.RetransmitWindowMessages");
        ArgumentOutOfRangeException.ThrowIfLessThan(RetransmitWindowBytes, 1, "Recovery.RetransmitWindowBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTrackedSenders, 1, "Recovery.MaxTrackedSenders");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and at most a day.");
        }
    }
}
