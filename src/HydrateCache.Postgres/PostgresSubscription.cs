using System.Buffers.Binary;

namespace HydrateCache.Postgres;

/// <summary>
/// One subscription: a <see cref="TransportSubscriptionPump"/> fed by the transport's listening connection, plus the one
/// thing that is PostgreSQL's own: a large message arrives as a reference to a payload table row, read on the way to
/// the handler.
/// </summary>
/// <remarks>
/// The listening connection posts what the notification carries (<see cref="PostgresDelivery"/>: an inline frame or a
/// row id) with <see cref="TransportSubscriptionPump.TryPost"/>, which never waits; the row is read in the pump's
/// delivery path, so the listener never waits for the database and messages keep their order per subscription.
/// </remarks>
internal sealed class PostgresSubscription : ITransportSubscription
{
    private readonly PostgresTransport _owner;
    private readonly TransportMessageHandler _handler;
    private int _disposed;

    public PostgresSubscription(PostgresTransport owner, string topic, string channel, TransportMessageHandler handler)
    {
        _owner = owner;
        _handler = handler;
        Topic = topic;
        Channel = channel;
        Pump = new TransportSubscriptionPump(topic, HandleAsync, owner.SubscriptionBuffer, owner.Logger);
    }

    /// <inheritdoc />
    public string Topic { get; }

    /// <summary>Gets the PostgreSQL channel name (topic prefix included).</summary>
    public string Channel { get; }

    public TransportSubscriptionPump Pump { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The pump first: a notification still arriving for this subscription is then discarded, not counted as a loss.
        await Pump.DisposeAsync().ConfigureAwait(false);
        _owner.Remove(this);
    }

    private ValueTask HandleAsync(TransportMessage message, CancellationToken cancellationToken)
    {
        if (message.IsLossNotice)
        {
            return _handler(message, cancellationToken);
        }

        var body = message.Body;
        return PostgresDelivery.IsReference(body.Span, out var rowId)
            ? HandleLargeAsync(rowId, message.LostBefore, cancellationToken)
            : _handler(message with { Body = body[1..] }, cancellationToken);
    }

    private async ValueTask HandleLargeAsync(long rowId, long lostBefore, CancellationToken cancellationToken)
    {
        var frame = await _owner.FetchLargePayloadAsync(Channel, rowId, cancellationToken).ConfigureAwait(false);
        if (frame is null)
        {
            // The row is gone or unreadable (logged by the fetch): a loss, counted and reported in band. Losses reported
            // with this message are passed on at their place.
            Pump.ReportLost(1);
            if (lostBefore > 0)
            {
                await _handler(new TransportMessage(Topic, ReadOnlyMemory<byte>.Empty) { LostBefore = lostBefore, IsLossNotice = true }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await _handler(new TransportMessage(Topic, frame) { LostBefore = lostBefore }, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// What the listening connection posts to a subscription's pump: a kind byte, then the frame (inline) or the row id of
/// the payload table row holding it (large messages, read in the delivery path).
/// </summary>
internal static class PostgresDelivery
{
    private const byte Inline = 0;
    private const byte Reference = 1;

    /// <summary>The length of a reference: the kind byte and the row id.</summary>
    public const int ReferenceLength = 1 + sizeof(long);

    /// <summary>Writes a reference to row <paramref name="rowId"/> into <paramref name="destination"/> (<see cref="ReferenceLength"/> bytes).</summary>
    public static void WriteReference(Span<byte> destination, long rowId)
    {
        destination[0] = Reference;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], rowId);
    }

    /// <summary>Writes the kind byte and <paramref name="frame"/> into <paramref name="destination"/> (1 + its length bytes).</summary>
    public static void WriteInline(Span<byte> destination, ReadOnlySpan<byte> frame)
    {
        destination[0] = Inline;
        frame.CopyTo(destination[1..]);
    }

    public static bool IsReference(ReadOnlySpan<byte> delivery, out long rowId)
    {
        if (delivery[0] == Reference)
        {
            rowId = BinaryPrimitives.ReadInt64LittleEndian(delivery[1..]);
            return true;
        }

        rowId = 0;
        return false;
    }
}
