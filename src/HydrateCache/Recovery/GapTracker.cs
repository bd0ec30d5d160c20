namespace HydrateCache;

/// <summary>
/// A receiver's view of every sender it hears from on one channel: which of each sender's sequence numbers it has not
/// received, when to ask for them (<see cref="ControlKind.Nak"/>), and when to give up. Pure bookkeeping on timestamps
/// passed in; not thread-safe (the owner serializes calls).
/// </summary>
/// <remarks>
/// <para>A gap is noticed when a sequence arrives past the next expected one, or when a sender's heartbeat announces a
/// later last sequence (a lost tail). It is requested after a random delay (the transport may still deliver it out of
/// order, and another receiver's request for the same range, seen on the control topic, makes this one unnecessary), then
/// again after each retry interval, and given up after the last attempt, or at once when the sender says it no longer
/// holds it: those sequences are reported as unrecoverable, for repair by other means.</para>
/// <para>A lost tail announced by a heartbeat is neither asked for nor given up while the sender's data is still
/// arriving here and has not reached it: heartbeats overtake a backlog in this receiver's own subscription buffer (a
/// burst), and asking then would retransmit what is merely queued, and giving up when the sender's window (its floor)
/// has passed it would report as lost what is still on its way, sending the receiver to repair for nothing.</para>
/// <para>The first time a sender is heard of, everything before is requested <em>since</em> this receiver started: the
/// sender answers with what it published after that time, and tells where that starts (the floor), so a receiver that
/// joins late does not ask for a sender's whole history.</para>
/// </remarks>
internal sealed class GapTracker
{
    /// <summary>Missing ranges kept per sender; more are merged (asking again for a few received ones is harmless).</summary>
    internal const int MaxRangesPerSender = 64;

    private readonly Dictionary<Guid, SenderState> _senders = [];
    private readonly Guid _self;
    private readonly long _delayTicks;
    private readonly long _heartbeatTicks;
    private readonly long _retryTicks;
    private readonly int _maxAttempts;
    private readonly int _maxSenders;
    private readonly Random _random;

    public GapTracker(Guid self, HydrateRecoveryOptions options, long timestampFrequency, Random? random = null)
    {
        _self = self;
        _delayTicks = TimestampSpan.From(options.NakDelay, timestampFrequency);
        _heartbeatTicks = TimestampSpan.From(options.HeartbeatInterval, timestampFrequency);
        _retryTicks = TimestampSpan.From(options.NakRetryInterval, timestampFrequency);
        _maxAttempts = options.NakAttempts;
        _maxSenders = options.MaxTrackedSenders;
        _random = random ?? Random.Shared;
    }

    /// <summary>Gets or sets the Unix time in milliseconds since which this receiver has been subscribed (0 until it is).</summary>
    public long SubscribedSince { get; set; }

    /// <summary>Gets the number of senders tracked.</summary>
    public int SenderCount => _senders.Count;

    /// <summary>Gets the number of sequences currently missing, over every sender.</summary>
    public ulong MissingCount => _senders.Values.Aggregate(0UL, (sum, s) => s.Missing.Aggregate(sum, (n, r) => n + r.Range.Count));

    /// <summary>Gets the number of missing sequences that arrived after they were noticed missing.</summary>
    public long Recovered { get; private set; }

    /// <summary>Gets the number of sequences noticed missing (not counting what a first contact asks for since this receiver started).</summary>
    public long Detected { get; private set; }

    /// <summary>Records a received (or received but unusable) message.</summary>
    /// <returns><see langword="true"/> when it revealed a gap (a request is now due at some point).</returns>
    public bool OnData(Guid sender, ulong sequence, long now)
    {
        if (sender == _self || sequence == 0)
        {
            return false;
        }

        if (!_senders.TryGetValue(sender, out var state))
        {
            state = Add(sender, now);
            state.Highest = sequence;
            state.HighestArrived = sequence;
            state.LastArrival = now;
            return AddMissing(state, 1, sequence - 1, firstContact: true, now);
        }

        state.LastHeard = now;
        state.LastArrival = now;
        state.HighestArrived = Math.Max(state.HighestArrived, sequence);
        if (sequence > state.Highest)
        {
            var from = state.Highest + 1;
            state.Highest = sequence;
            return AddMissing(state, from, sequence - 1, firstContact: false, now);
        }

        // A retransmission, or a late arrival from a transport that reorders (Kafka): either way it is no longer missing.
        if (state.Missing.Count > 0)
        {
            Recovered += (long)Remove(state, sequence, sequence).Removed;
        }

        return false;
    }

    /// <summary>Records a heartbeat: a later last sequence is a lost tail; anything the sender evicted is unrecoverable.</summary>
    /// <returns>The number of missing sequences given up because the sender no longer holds them.</returns>
    public ulong OnHeartbeat(Guid sender, ulong lastSequence, ulong firstAvailable, long now)
    {
        if (sender == _self)
        {
            return 0;
        }

        // Heartbeats travel on the control topic, apart from the data, and may overtake it: what one announces counts as
        // missing only once a heartbeat interval more has passed without it.
        var later = now + _heartbeatTicks;
        if (!_senders.TryGetValue(sender, out var state))
        {
            state = Add(sender, now);
            AddMissing(state, 1, lastSequence, firstContact: true, later);
            state.Highest = lastSequence;
            return 0;
        }

        state.LastHeard = now;
        if (lastSequence > state.Highest)
        {
            AddMissing(state, state.Highest + 1, lastSequence, firstContact: false, later, announced: true);
            state.Highest = lastSequence;
        }

        // Ranges asked for since the start need the sender's floor (a NAK reply) to tell lost from not needed. A queued
        // tail below the floor is not lost either: it is still on its way, and arrives (or is skipped, which makes it a gap).
        return firstAvailable > 1 ? Remove(state, 1, firstAvailable - 1, onlyKnown: true, keep: missing => IsQueued(state, missing, now)).Removed : 0;
    }

    /// <summary>Another receiver asked for <paramref name="ranges"/>: the retransmission will reach this one too, so its own request waits.</summary>
    public void OnNakSeen(Guid sender, long since, IReadOnlyList<SequenceRange> ranges, long now)
    {
        if (since != 0 || !_senders.TryGetValue(sender, out var state))
        {
            return;
        }

        foreach (var missing in state.Missing)
        {
            if (!missing.FirstContact && ranges.Any(r => r.From <= missing.Range.To && r.To >= missing.Range.From))
            {
                missing.DueAt = Math.Max(missing.DueAt, now + _retryTicks);
                missing.Requested = true;
            }
        }
    }

    /// <summary>Records a sender's answer: void sequences were never published; lost ones it can no longer send.</summary>
    /// <returns>The number of missing sequences given up as lost.</returns>
    public ulong OnNakReply(Guid sender, Guid requester, ulong floor, IReadOnlyList<SequenceRange> lost, IReadOnlyList<SequenceRange> voided)
    {
        if (!_senders.TryGetValue(sender, out var state))
        {
            return 0;
        }

        foreach (var range in voided)
        {
            Remove(state, range.From, range.To);
        }

        if (requester == _self && floor > 1)
        {
            // Published before this receiver subscribed: not missed, not needed.
            Remove(state, 1, floor - 1, onlyFirstContact: true);
        }

        ulong given = 0;
        foreach (var range in lost)
        {
            given += Remove(state, range.From, range.To, onlyKnown: requester != _self).Removed;
        }

        return given;
    }

    /// <summary>Collects the requests due at <paramref name="now"/> and the sequences given up after the last attempt.</summary>
    /// <remarks>
    /// Senders are not forgotten for being silent (only the one silent the longest, beyond <see cref="HydrateRecoveryOptions.MaxTrackedSenders"/>):
    /// a forgotten sender that writes again is a first contact, whose answer would report everything its window evicted
    /// since this receiver subscribed as lost, and send every silo to its peers and its source for nothing.
    /// </remarks>
    public void Collect(long now, List<ControlFrame> requests, List<(Guid Sender, ulong Count)> givenUp, Guid requester)
    {
        foreach (var (sender, state) in _senders)
        {
            if (state.Missing.Count == 0)
            {
                continue;
            }

            List<SequenceRange>? normal = null;
            List<SequenceRange>? firstContact = null;
            ulong dropped = 0;
            for (var i = state.Missing.Count - 1; i >= 0; i--)
            {
                var missing = state.Missing[i];
                if (missing.DueAt > now)
                {
                    continue;
                }

                if (IsQueued(state, missing, now))
                {
                    missing.DueAt = state.LastArrival + _heartbeatTicks;
                    continue;
                }

                if (missing.Attempts >= _maxAttempts)
                {
                    state.Missing.RemoveAt(i);
                    if (!missing.FirstContact)
                    {
                        dropped += missing.Range.Count;
                    }

                    continue;
                }

                missing.Attempts++;
                missing.Requested = true;
                missing.DueAt = now + _retryTicks;
                if (missing.FirstContact)
                {
                    (firstContact ??= []).Insert(0, missing.Range);
                }
                else
                {
                    (normal ??= []).Insert(0, missing.Range);
                }
            }

            if (dropped > 0)
            {
                givenUp.Add((sender, dropped));
            }

            if (normal is not null)
            {
                requests.Add(ControlFrame.Nak(sender, requester, 0, normal));
            }

            if (firstContact is not null)
            {
                requests.Add(ControlFrame.Nak(sender, requester, Math.Max(1, SubscribedSince), firstContact));
            }
        }
    }

    /// <summary>Gets the earliest time a request is due, or <see langword="null"/> when nothing is missing.</summary>
    public long? NextDue()
    {
        long? next = null;
        foreach (var state in _senders.Values)
        {
            foreach (var missing in state.Missing)
            {
                next = next is { } n ? Math.Min(n, missing.DueAt) : missing.DueAt;
            }
        }

        return next;
    }

    /// <summary>
    /// Whether <paramref name="missing"/> is a tail a heartbeat announced that the sender's data, still arriving (within a
    /// heartbeat interval), has not reached yet: queued in this receiver's subscription buffer, not lost (yet).
    /// </summary>
    private bool IsQueued(SenderState state, MissingRange missing, long now) =>
        missing.Announced && missing.Attempts == 0 && missing.Range.From > state.HighestArrived && now - state.LastArrival < _heartbeatTicks;

    private SenderState Add(Guid sender, long now)
    {
        if (_senders.Count >= _maxSenders)
        {
            // Forget the sender heard from longest ago; if it speaks again it is a first contact.
            var oldest = _senders.MinBy(pair => pair.Value.LastHeard).Key;
            _senders.Remove(oldest);
        }

        var state = new SenderState { LastHeard = now };
        _senders[sender] = state;
        return state;
    }

    private bool AddMissing(SenderState state, ulong from, ulong to, bool firstContact, long now, bool announced = false)
    {
        if (from > to)
        {
            return false;
        }

        // A first contact only matters once this receiver has a start time the sender can compare with.
        if (firstContact && SubscribedSince == 0)
        {
            return false;
        }

        if (!firstContact)
        {
            Detected += (long)(to - from + 1);
        }

        var delay = _delayTicks / 2 + (long)(_random.NextDouble() * (_delayTicks / 2));
        state.Missing.Add(new MissingRange { Range = new SequenceRange(from, to), FirstContact = firstContact, Announced = announced, DueAt = now + delay });
        if (state.Missing.Count > MaxRangesPerSender)
        {
            MergeClosest(state.Missing);
        }

        return true;
    }

    /// <summary>Merges the two neighbouring ranges with the smallest distance between them.</summary>
    private static void MergeClosest(List<MissingRange> missing)
    {
        var best = -1;
        var bestDistance = ulong.MaxValue;
        for (var i = 0; i + 1 < missing.Count; i++)
        {
            if (missing[i].FirstContact != missing[i + 1].FirstContact)
            {
                continue;
            }

            var distance = missing[i + 1].Range.From - missing[i].Range.To;
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
        }

        if (best < 0)
        {
            missing.RemoveAt(0);
            return;
        }

        var left = missing[best];
        var right = missing[best + 1];
        left.Range = new SequenceRange(left.Range.From, right.Range.To);
        left.DueAt = Math.Min(left.DueAt, right.DueAt);
        left.Attempts = Math.Min(left.Attempts, right.Attempts);
        left.Requested |= right.Requested;
        missing.RemoveAt(best + 1);
    }

    /// <summary>Removes [from, to] from the missing ranges; returns how many sequences were removed and how many of those had been requested.</summary>
    private static (ulong Removed, ulong Requested) Remove(SenderState state, ulong from, ulong to, bool onlyKnown = false, bool onlyFirstContact = false, Func<MissingRange, bool>? keep = null)
    {
        ulong removed = 0;
        ulong requested = 0;
        for (var i = state.Missing.Count - 1; i >= 0; i--)
        {
            var missing = state.Missing[i];
            if ((onlyKnown && missing.FirstContact) || (onlyFirstContact && !missing.FirstContact) || (keep?.Invoke(missing) ?? false))
            {
                continue;
            }

            var range = missing.Range;
            if (range.To < from || range.From > to)
            {
                continue;
            }

            var cutFrom = Math.Max(range.From, from);
            var cutTo = Math.Min(range.To, to);
            var count = cutTo - cutFrom + 1;
            removed += count;
            if (missing.Requested)
            {
                requested += count;
            }

            state.Missing.RemoveAt(i);
            if (range.From < cutFrom)
            {
                state.Missing.Insert(i, missing.With(new SequenceRange(range.From, cutFrom - 1)));
            }

            if (cutTo < range.To)
            {
                state.Missing.Insert(range.From < cutFrom ? i + 1 : i, missing.With(new SequenceRange(cutTo + 1, range.To)));
            }
        }

        return (removed, requested);
    }

    private sealed class SenderState
    {
        public ulong Highest { get; set; }

        public long LastHeard { get; set; }

        /// <summary>Gets or sets the highest sequence that arrived as data (<see cref="Highest"/> includes what heartbeats announced).</summary>
        public ulong HighestArrived { get; set; }

        /// <summary>Gets or sets when the sender's data last arrived.</summary>
        public long LastArrival { get; set; }

        /// <summary>Disjoint, in ascending order.</summary>
        public List<MissingRange> Missing { get; } = [];
    }

    private sealed class MissingRange
    {
        public SequenceRange Range { get; set; }

        public bool FirstContact { get; init; }

        /// <summary>Gets a value indicating whether a heartbeat announced the range (a tail), rather than a skip in the data.</summary>
        public bool Announced { get; init; }

        public long DueAt { get; set; }

        public int Attempts { get; set; }

        public bool Requested { get; set; }

        public MissingRange With(SequenceRange range) =>
            new() { Range = range, FirstContact = FirstContact, Announced = Announced, DueAt = DueAt, Attempts = Attempts, Requested = Requested };
    }
}
