namespace HydrateCache;

/// <summary>
/// A sender's recently published frames, bounded by count, bytes and age, kept so that receivers that missed some can
/// ask for them again (<see cref="ControlKind.Nak"/>). The frames are the arrays the channel published (no copy).
/// Thread-safe.
/// </summary>
/// <remarks>
/// Sequences are issued when a message is created and recorded here when it is handed to the transport, so a sequence
/// between <see cref="FirstAvailable"/> and <see cref="LastSequence"/> that is not here was never published (created and
/// dropped, or not yet sent): it is void, not lost. A sequence below <see cref="FirstAvailable"/> was evicted: lost for
/// retransmission, the receiver must repair otherwise.
/// </remarks>
internal sealed class RetransmitWindow
{
    /// <summary>Per-entry bookkeeping charged against the byte bound besides the frame itself.</summary>
    private const int EntryOverhead = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Entry> _entries = [];
    private readonly Queue<ulong> _order = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly long _maxAgeTicks;
    private readonly long _holdoffTicks;
    private readonly TimeProvider _timeProvider;
    private long _bytes;
    private ulong _evictedThrough;
    private long _evictedLastPhysical = -1;

    public RetransmitWindow(HydrateRecoveryOptions options, TimeProvider timeProvider)
    {
        _maxMessages = options.RetransmitWindowMessages;
        _maxBytes = options.RetransmitWindowBytes;
        _maxAgeTicks = TimestampSpan.From(options.RetransmitWindowAge, timeProvider.TimestampFrequency);
        _holdoffTicks = TimestampSpan.From(options.RetransmitHoldoff, timeProvider.TimestampFrequency);
        _timeProvider = timeProvider;
    }

    /// <summary>Gets the greatest sequence recorded (0 before the first).</summary>
    public ulong LastSequence { get; private set; }

    /// <summary>Gets the timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the last record.</summary>
    public long LastRecorded { get; private set; }

    /// <summary>Gets the smallest sequence that can still be retransmitted (all smaller ones were evicted).</summary>
    public ulong FirstAvailable
    {
        get
        {
            lock (_lock)
            {
                return _evictedThrough + 1;
            }
        }
    }

    /// <summary>Gets the number of frames held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Gets the bytes charged for the frames held.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Records a frame handed to the transport.</summary>
    public void Record(ulong sequence, byte[] frame, long physicalTime)
    {
        var now = _timeProvider.GetTimestamp();
        lock (_lock)
        {
            if (sequence <= _evictedThrough || !_entries.TryAdd(sequence, new Entry(frame, physicalTime, now)))
            {
                return;
            }

            _order.Enqueue(sequence);
            _bytes += frame.Length + EntryOverhead;
            LastSequence = Math.Max(LastSequence, sequence);
            LastRecorded = now;
            EvictLocked(now);
        }
    }

    /// <summary>Evicts what the age bound no longer allows (the count and byte bounds are kept on every record).</summary>
    public void Trim()
    {
        lock (_lock)
        {
            EvictLocked(_timeProvider.GetTimestamp());
        }
    }

    /// <summary>
    /// Answers a request: the frames to send again (each at most once per hold-off, however many receivers ask), the
    /// requested sequences that were evicted (lost) and the ones never published (void).
    /// </summary>
    /// <param name="ranges">The requested ranges.</param>
    /// <param name="since">When positive, the requester only needs frames versioned at or after this Unix time in
    /// milliseconds (it subscribed then): the answer's floor is the first sequence it needs.</param>
    public RetransmitAnswer Answer(IReadOnlyList<SequenceRange> ranges, long since)
    {
        var now = _timeProvider.GetTimestamp();
        var frames = new List<byte[]>();
        var lost = new List<SequenceRange>();
        var voided = new List<SequenceRange>();
        ulong floor = 0;
        lock (_lock)
        {
            EvictLocked(now);
            if (since > 0)
            {
                // Evicted frames may have been versioned after 'since': then the requester's first needed one is unknown.
                floor = _evictedLastPhysical >= since ? 0 : FloorLocked(since);
            }

            foreach (var range in ranges)
            {
                var from = Math.Max(range.From, floor);
                var to = Math.Min(range.To, LastSequence);
                if (from <= _evictedThrough)
                {
                    Add(lost, from, Math.Min(to, _evictedThrough));
                    from = _evictedThrough + 1;
                }

                // Bounded by the window: the loop visits at most the held sequences of the range, not a hostile range's length.
                for (var sequence = from; sequence <= to && sequence != 0; sequence++)
                {
                    if (!_entries.TryGetValue(sequence, out var entry))
                    {
                        Add(voided, sequence, sequence);
                        continue;
                    }

                    if (entry.LastSent + _holdoffTicks > now && entry.Retransmitted)
                    {
                        continue;
                    }

                    entry.LastSent = now;
                    entry.Retransmitted = true;
                    frames.Add(entry.Frame);
                }
            }
        }

        return new RetransmitAnswer(frames, lost, voided, floor);
    }

    /// <summary>The first held sequence versioned at or after <paramref name="since"/>, or the next sequence when none is.</summary>
    private ulong FloorLocked(long since)
    {
        var floor = LastSequence + 1;
        foreach (var (sequence, entry) in _entries)
        {
            if (entry.PhysicalTime >= since && sequence < floor)
            {
                floor = sequence;
            }
        }

        return floor;
    }

    private void EvictLocked(long now)
    {
        while (_order.TryPeek(out var oldest)
            && (_entries.Count > _maxMessages || _bytes > _maxBytes || now - _entries[oldest].Recorded > _maxAgeTicks))
        {
            _order.Dequeue();
            var entry = _entries[oldest];
            _entries.Remove(oldest);
            _bytes -= entry.Frame.Length + EntryOverhead;
            _evictedThrough = Math.Max(_evictedThrough, oldest);
            _evictedLastPhysical = Math.Max(_evictedLastPhysical, entry.PhysicalTime);
        }
    }

    /// <summary>Appends a range, merging it with the last one when adjacent.</summary>
    private static void Add(List<SequenceRange> ranges, ulong from, ulong to)
    {
        if (from > to)
        {
            return;
        }

        if (ranges.Count > 0 && ranges[^1].To + 1 == from)
        {
            ranges[^1] = ranges[^1] with { To = to };
        }
        else
        {
            ranges.Add(new SequenceRange(from, to));
        }
    }

    private sealed class Entry(byte[] frame, long physicalTime, long recorded)
    {
        public byte[] Frame { get; } = frame;

        public long PhysicalTime { get; } = physicalTime;

        public long Recorded { get; } = recorded;

        public long LastSent { get; set; } = recorded;

        public bool Retransmitted { get; set; }
    }
}

/// <summary>What a sender does about a retransmission request.</summary>
internal sealed record RetransmitAnswer(List<byte[]> Frames, List<SequenceRange> Lost, List<SequenceRange> Void, ulong Floor);
