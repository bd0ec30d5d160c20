using System.Diagnostics;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// When each of N receivers first saw each of M messages (milliseconds after its publish, from the
/// <see cref="Stopwatch"/> timestamp the message carries). Messages seen twice keep their first time; sequence numbers
/// outside 0..M-1 (warm-up) are ignored. Thread-safe.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly double[] _firstSeen;
    private readonly long[] _lastSeenAt;
    private int _delivered;

    public LatencyRecorder(int receivers, int messages)
    {
        Receivers = receivers;
        Messages = messages;
        _firstSeen = new double[receivers * messages];
        _lastSeenAt = new long[receivers];
        Array.Fill(_firstSeen, double.NaN);
    }

    public int Receivers { get; }

    public int Messages { get; }

    public int Delivered => Volatile.Read(ref _delivered);

    public int Expected => Receivers * Messages;

    /// <summary>Gets the <see cref="Stopwatch"/> timestamp of the last first-arrival at any receiver (0: none).</summary>
    public long LastArrival => _lastSeenAt.Length == 0 ? 0 : _lastSeenAt.Max();

    public void Record(int receiver, int sequence, long sentAt)
    {
        if ((uint)sequence >= (uint)Messages || (uint)receiver >= (uint)Receivers)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        // First arrival only, even when two readers of one receiver report the same message at once (FusionCache's).
        ref var slot = ref _firstSeen[(receiver * Messages) + sequence];
        if (double.IsNaN(slot) && double.IsNaN(Interlocked.CompareExchange(ref slot, Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds, double.NaN)))
        {
            Volatile.Write(ref _lastSeenAt[receiver], Math.Max(Volatile.Read(ref _lastSeenAt[receiver]), now));
            Interlocked.Increment(ref _delivered);
        }
    }

    /// <summary>Waits until every receiver has every message, or <paramref name="timeout"/> passed.</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout, int messages = -1)
    {
        var expected = Receivers * (messages < 0 ? Messages : messages);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Delivered < expected)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    /// <summary>Every (receiver, message) latency that arrived, sorted.</summary>
    public double[] PerReceiver(int messages = -1) =>
        [.. Enumerable.Range(0, Receivers).SelectMany(r => Slice(r, messages)).Where(v => !double.IsNaN(v)).Order()];

    /// <summary>Per message that reached every receiver: the time until the last of them had it, sorted.</summary>
    public double[] VisibleOnAll(int messages = -1)
    {
        var count = messages < 0 ? Messages : messages;
        var all = new List<double>(count);
        for (var m = 0; m < count; m++)
        {
            var max = 0.0;
            for (var r = 0; r < Receivers; r++)
            {
                max = Math.Max(max, _firstSeen[(r * Messages) + m]);
            }

            if (!double.IsNaN(max))
            {
                all.Add(max);
            }
        }

        all.Sort();
        return [.. all];
    }

    /// <summary>The number of (receiver, message) pairs among the first <paramref name="messages"/> messages that never arrived.</summary>
    public int Lost(int messages = -1)
    {
        var count = messages < 0 ? Messages : messages;
        var lost = 0;
        for (var r = 0; r < Receivers; r++)
        {
            lost += Slice(r, count).Count(double.IsNaN);
        }

        return lost;
    }

    /// <summary>
    /// The number of (receiver, key) pairs, over the first <paramref name="messages"/> messages published round-robin over
    /// <paramref name="keys"/> keys, whose newest update never arrived: the receiver ended stale. A receiver may skip an
    /// update a later one of its key replaced (counted in <see cref="Lost"/>) and still end current; this counts the ones that did not.
    /// </summary>
    public int StaleAtEnd(int keys, int messages = -1)
    {
        var count = messages < 0 ? Messages : messages;
        var stale = 0;
        for (var r = 0; r < Receivers; r++)
        {
            // Message m updates key m % keys, so the last `keys` messages are the newest update of every key.
            for (var m = Math.Max(0, count - keys); m < count; m++)
            {
                stale += double.IsNaN(_firstSeen[(r * Messages) + m]) ? 1 : 0;
            }
        }

        return stale;
    }

    private IEnumerable<double> Slice(int receiver, int messages) =>
        new ArraySegment<double>(_firstSeen, receiver * Messages, messages < 0 ? Messages : messages);
}
