using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Cbor;

namespace HydrateCache.Propagation;

/// <summary>What a frame on the wire is, as the loss scenario counts it.</summary>
internal enum FrameKind
{
    /// <summary>An update's first publish (or first arrival).</summary>
    Update,

    /// <summary>An update published again (or arriving again): a retransmission.</summary>
    Retransmission,

    /// <summary>A sender's heartbeat on the control topic.</summary>
    Heartbeat,

    /// <summary>A receiver's retransmission request (NAK) on the control topic.</summary>
    Nak,

    /// <summary>A sender's answer about requested messages it cannot retransmit.</summary>
    NakReply,

    /// <summary>Anything else on the control topic.</summary>
    OtherControl,
}

/// <summary>
/// One node's view of its transport client in the loss scenario: counts, by <see cref="FrameKind"/>, the frames the node
/// sends and receives, and (while <see cref="Lossy"/>) loses <c>lossPercent</c>% of the data frames it receives at
/// random, the first time each arrives, so that a retransmission of the same frame gets through. The same idea as the test
/// kit's <c>LossyTransport</c>, which the harness does not reference. It does not own the inner client.
/// </summary>
/// <param name="inner">The real transport client.</param>
/// <param name="lossPercent">The share of first arrivals of data frames to lose, in percent.</param>
internal sealed class MeteredTransport(ITransport inner, double lossPercent) : ITransport
{
    /// <summary>The suffix that turns a channel's topic into its control topic (docs/wire-format.md).</summary>
    private const string ControlTopicSuffix = ".control";

    private readonly ConcurrentDictionary<(Guid Sender, ulong Sequence), byte> _published = new();
    private readonly ConcurrentDictionary<(Guid Sender, ulong Sequence), byte> _arrived = new();
    private long _lost;
    private long _lastRecoverySent;
    private volatile bool _lossy;

    /// <summary>Gets the frames this node handed to the transport.</summary>
    public TrafficMeter Sent { get; } = new();

    /// <summary>Gets the frames the transport delivered to this node (not the ones lost on purpose).</summary>
    public TrafficMeter Received { get; } = new();

    /// <summary>Gets or sets a value indicating whether first arrivals of data frames are lost now (off during warm-up).</summary>
    public bool Lossy
    {
        get => _lossy;
        set => _lossy = value;
    }

    /// <summary>Gets the <see cref="Stopwatch"/> timestamp of the last NAK, reply or retransmission this node sent (0: none).</summary>
    public long LastRecoverySent => Interlocked.Read(ref _lastRecoverySent);

    /// <summary>Gets the number of data frames lost on purpose.</summary>
    public long Lost => Interlocked.Read(ref _lost);

    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged
    {
        add => inner.ConnectionChanged += value;
        remove => inner.ConnectionChanged -= value;
    }

    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var kind = Classify(topic, message, _published);
        Sent.Add(kind, message.Length);
        if (kind is FrameKind.Retransmission or FrameKind.Nak or FrameKind.NakReply)
        {
            Interlocked.Exchange(ref _lastRecoverySent, Stopwatch.GetTimestamp());
        }

        return inner.PublishAsync(topic, message, cancellationToken);
    }

    public ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(
            topic,
            (message, token) =>
            {
                var kind = Classify(topic, message.Body, _arrived, out var first);
                if (first && _lossy && Random.Shared.NextDouble() * 100 < lossPercent)
                {
                    Interlocked.Increment(ref _lost);
                    return ValueTask.CompletedTask;
                }

                Received.Add(kind, message.Body.Length);
                return handler(message, token);
            },
            cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static FrameKind Classify(string topic, ReadOnlyMemory<byte> frame, ConcurrentDictionary<(Guid, ulong), byte> seen) =>
        Classify(topic, frame, seen, out _);

    /// <summary>Control frames by their kind (item [1] of the CBOR array); data frames by whether their (sender, sequence) came before.</summary>
    private static FrameKind Classify(string topic, ReadOnlyMemory<byte> frame, ConcurrentDictionary<(Guid, ulong), byte> seen, out bool firstData)
    {
        firstData = false;
        if (topic.EndsWith(ControlTopicSuffix, StringComparison.Ordinal))
        {
            return ControlKind(frame);
        }

        if (!HydrateFrame.TryReadMetadata(frame, out var metadata))
        {
            return FrameKind.Update;
        }

        firstData = seen.TryAdd((metadata.SenderId, metadata.Sequence), 0);
        return firstData ? FrameKind.Update : FrameKind.Retransmission;
    }

    private static FrameKind ControlKind(ReadOnlyMemory<byte> frame)
    {
        try
        {
            var reader = new CborReader(frame, CborConformanceMode.Lax);
            reader.ReadTag();
            reader.ReadStartArray();
            reader.ReadUInt32();
            return reader.ReadUInt32() switch
            {
                16 => FrameKind.Heartbeat,
                17 => FrameKind.Nak,
                18 => FrameKind.NakReply,
                _ => FrameKind.OtherControl,
            };
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or OverflowException)
        {
            return FrameKind.OtherControl;
        }
    }
}

/// <summary>Messages and bytes by <see cref="FrameKind"/>, counted as they pass.</summary>
internal sealed class TrafficMeter
{
    private readonly long[] _messages = new long[Traffic.Kinds];
    private readonly long[] _bytes = new long[Traffic.Kinds];

    public void Add(FrameKind kind, int bytes)
    {
        Interlocked.Increment(ref _messages[(int)kind]);
        Interlocked.Add(ref _bytes[(int)kind], bytes);
    }

    public Traffic Read() =>
        new([.. Enumerable.Range(0, Traffic.Kinds).Select(i => Interlocked.Read(ref _messages[i]))], [.. Enumerable.Range(0, Traffic.Kinds).Select(i => Interlocked.Read(ref _bytes[i]))]);
}

/// <summary>A reading of a <see cref="TrafficMeter"/>, or the difference of two.</summary>
internal sealed class Traffic(long[] messages, long[] bytes)
{
    private readonly long[] _messages = messages;
    private readonly long[] _bytes = bytes;

    public static readonly int Kinds = Enum.GetValues<FrameKind>().Length;

    public static Traffic Zero { get; } = new(new long[Kinds], new long[Kinds]);

    /// <summary>Gets the messages of recovery: everything but first publishes of updates.</summary>
    public long OverheadMessages => _messages.Sum() - Messages(FrameKind.Update);

    /// <summary>Gets the bytes of recovery: everything but first publishes of updates.</summary>
    public long OverheadBytes => _bytes.Sum() - Bytes(FrameKind.Update);

    public long Messages(FrameKind kind) => _messages[(int)kind];

    public long Bytes(FrameKind kind) => _bytes[(int)kind];

    public static Traffic operator -(Traffic later, Traffic earlier) => Combine(later, earlier, -1);

    public static Traffic operator +(Traffic a, Traffic b) => Combine(a, b, 1);

    private static Traffic Combine(Traffic a, Traffic b, int sign) =>
        new([.. a._messages.Zip(b._messages, (x, y) => x + (sign * y))], [.. a._bytes.Zip(b._bytes, (x, y) => x + (sign * y))]);
}
