using System.Collections.Concurrent;

namespace HydrateCache.TestKit;

/// <summary>
/// A subscriber's view of a real transport that loses chosen updates the first time they arrive (a retransmission of the
/// same frame gets through), and counts what it killed, so a recovery test can prove its fault happened. Publishing,
/// control frames and connection events pass through untouched. It does not own the inner transport.
/// </summary>
/// <param name="inner">The real transport.</param>
/// <param name="lose">Decides, from a data frame's sender sequence number, whether its first arrival is lost.</param>
public sealed class LossyTransport(ITransport inner, Func<ulong, bool> lose) : ITransport
{
    private readonly ConcurrentDictionary<(Guid Sender, ulong Sequence), bool> _seen = new();
    private long _killed;

    /// <summary>Gets the number of frames this transport lost on purpose.</summary>
    public long Killed => Interlocked.Read(ref _killed);

    /// <inheritdoc />
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged
    {
        add => inner.ConnectionChanged += value;
        remove => inner.ConnectionChanged -= value;
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        inner.PublishAsync(topic, message, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(
            topic,
            (message, token) =>
            {
                if (HydrateFrame.TryReadMetadata(message.Body, out var metadata)
                    && lose(metadata.Sequence)
                    && _seen.TryAdd((metadata.SenderId, metadata.Sequence), true))
                {
                    Interlocked.Increment(ref _killed);
                    return ValueTask.CompletedTask;
                }

                return handler(message, token);
            },
            cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
