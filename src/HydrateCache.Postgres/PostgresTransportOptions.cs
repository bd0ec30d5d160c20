using Microsoft.Extensions.Logging;

namespace HydrateCache.Postgres;

/// <summary>Options of a <see cref="PostgresTransport"/>.</summary>
/// <remarks>
/// Every process that exchanges messages must use the same <see cref="TopicPrefix"/> and <see cref="PayloadTable"/>.
/// The transport reads the options once, in its constructor; later changes have no effect.
/// </remarks>
public sealed class PostgresTransportOptions
{
    /// <summary>The largest value <see cref="MaxMessageBytes"/> accepts: 512 MiB (PostgreSQL caps a <c>bytea</c> value at 1 GB).</summary>
    public const int MaxMessageBytesLimit = 512 * 1024 * 1024;

    /// <summary>Gets or sets a prefix put in front of every topic to form the PostgreSQL channel name.</summary>
    /// <value>Defaults to <see langword="null"/>: the channel name is the topic itself.</value>
    /// <remarks>
    /// The channel name (prefix and topic) must fit PostgreSQL's identifier limit of 63 bytes in UTF-8; longer names are
    /// rejected with <see cref="ArgumentException"/>. Channel names are case-sensitive and may contain any character but NUL.
    /// </remarks>
    public string? TopicPrefix { get; set; }

    /// <summary>Gets or sets the largest message, in bytes, that <see cref="PostgresTransport.PublishAsync"/> accepts.</summary>
    /// <value>Defaults to 16 MiB; at most <see cref="MaxMessageBytesLimit"/>. Larger messages fail with <see cref="HydratePayloadTooLargeException"/>
    /// before anything is sent to the server.</value>
    /// <remarks>Messages up to 5922 bytes travel inside the NOTIFY payload; larger ones are stored in <see cref="PayloadTable"/>.</remarks>
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets the table that holds messages too large for a NOTIFY payload, as <c>table</c> or <c>schema.table</c>.</summary>
    /// <value>Defaults to <c>hydratecache_payloads</c> (resolved through the connection's <c>search_path</c>).</value>
    /// <remarks>
    /// Each part must be ASCII letters, digits and underscores, not starting with a digit; the name is quoted, so its case
    /// is kept as written. The table is created on the first large publish (<c>CREATE UNLOGGED TABLE IF NOT EXISTS</c>, which
    /// needs the CREATE privilege on the schema); you may create it yourself with the columns
    /// <c>id bigserial primary key, channel text not null, body bytea not null, created_at timestamptz not null default now()</c>.
    /// </remarks>
    public string PayloadTable { get; set; } = "hydratecache_payloads";

    /// <summary>Gets or sets how long a large message stays in <see cref="PayloadTable"/> before it is deleted.</summary>
    /// <value>Defaults to 5 minutes.</value>
    /// <remarks>
    /// A subscriber that falls further behind than this finds the row gone: the message is dropped, logged and counted in
    /// <see cref="PostgresTransport.DroppedCount"/>. Each transport that wrote large messages deletes expired rows
    /// periodically (every half retention, between 1 second and 1 minute).
    /// </remarks>
    public TimeSpan LargePayloadRetention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the delay between attempts to re-open the listening connection after it was lost.</summary>
    /// <value>Defaults to 1 second. The first attempt is immediate; later delays double up to 30 seconds (or this value, if
    /// larger), each jittered between half and all of its step (<see cref="TransportBackoff"/>).</value>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the bounds of each subscription's buffer (the messages waiting for its handler) and its overflow policy.</summary>
    /// <value>Defaults to 65,536 messages, 64 MiB and <see cref="TransportOverflowPolicy.DropOldest"/>, the only policy this
    /// transport accepts; loss logs at most every 10 seconds per subscription. A large message takes 9 bytes in the buffer
    /// until it is read from <see cref="PayloadTable"/>, right before its handler call.</value>
    /// <remarks>
    /// The listening connection is shared by every subscription of the transport and must never stall (a stalled listener
    /// makes PostgreSQL's notification queue grow for the whole cluster), so a full buffer drops its oldest messages. Every
    /// loss is counted in <see cref="PostgresTransport.DroppedCount"/>, logged (rate limited, event
    /// <see cref="HydrateEventId.SubscriptionMessagesLost"/>) and reported to the handler in band
    /// (<see cref="TransportMessage.LostBefore"/>).
    /// </remarks>
    public SubscriptionBufferOptions SubscriptionBuffer { get; set; } = new();

    /// <summary>Gets or sets the logger factory for connection events, drops and handler failures.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
