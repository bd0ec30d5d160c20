using System.Collections.Concurrent;

namespace HydrateCache.TestKit;

/// <summary>
/// A real transport that loses chosen updates the first time they pass (a retransmission of the same frame gets
/// through), and counts what it killed, so a recovery test can prove its fault happened. By default it loses them on
/// arrival (this subscriber misses them); with <see cref="LosesPublished"/> it loses them on publish (nobody gets them:
/// a publisher's lost tail). Control frames and connection events pass through untouched. It does not own the inner transport.
/// </summary>
/// <param name="inner">The real transport.</param>
/// <param name="lose">Decides, from a data frame's sender sequence number, whether its first passage is lost.</param>
public sealed class LossyTransport(ITransport inner, Func<ulong, bool> lose) : ITransport
{
    private readonly ConcurrentDictionary<(Guid Sender, ulong Sequence), bool> _seen = new();
    private long _killed;

    /// <summary>Gets the number of frames this transport lost on purpose.</summary>
    public long Killed => Interlocked.Read(ref _killed);

    /// <summary>Gets a value indicating whether frames are lost when published (nobody receives them) instead of on arrival.</summary>
    public bool LosesPublished { get; init; }

    /// <inheritdoc />
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged
    {
        add => inner.ConnectionChanged += value;
        remove => inner.ConnectionChanged -= value;
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        LosesPublished && Loses(message) ? ValueTask.CompletedTask : inner.PublishAsync(topic, message, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(
            topic,
            (message, token) => !LosesPublished && Loses(message.Body) ? ValueTask.CompletedTask : handler(message, token),
            cancellationToken);

    private bool Loses(ReadOnlyMemory<byte> frame)
    {
        if (HydrateFrame.TryReadMetadata(frame, out var metadata)
            && lose(metadata.Sequence)
            && _seen.TryAdd((metadata.SenderId, metadata.Sequence), true))
        {
            Interlocked.Increment(ref _killed);
            return true;
        }

        return false;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
