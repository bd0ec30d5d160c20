using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HydrateCache.Redis;

/// <summary>Options of a <see cref="RedisTransport"/>. They are read once, when the transport is created.</summary>
/// <remarks>
/// Connection settings (endpoints, password or ACL user, TLS, RESP2 or RESP3, timeouts, reconnect policy) are not here:
/// they belong to the <see cref="IConnectionMultiplexer"/> that you pass to the transport, configured with
/// <see cref="ConfigurationOptions"/>.
/// </remarks>
public sealed class RedisTransportOptions
{
    /// <summary>The largest <see cref="MaxMessageBytes"/> accepted: Redis' default <c>proto-max-bulk-len</c> (512 MB).</summary>
    public const int MaxMessageBytesLimit = 512 * 1024 * 1024;

    /// <summary>Gets or sets a prefix prepended to every topic to form the Redis channel name, for example <c>"app1:"</c>.</summary>
    /// <value>Defaults to none: the channel name is the topic name.</value>
    /// <remarks>
    /// Use it to keep several applications or environments that share one Redis server apart. A
    /// <see cref="ConfigurationOptions.ChannelPrefix"/> configured on the multiplexer is applied as well, in front of this one.
    /// Channel names are literal: <c>*</c>, <c>?</c> and <c>[</c> in a prefix or topic never act as patterns.
    /// </remarks>
    public string? TopicPrefix { get; set; }

    /// <summary>Gets or sets the largest message, in bytes, that <see cref="RedisTransport.PublishAsync"/> accepts.</summary>
    /// <value>Defaults to 4 MiB. Must be between 1 and <see cref="MaxMessageBytesLimit"/> (512 MB).</value>
    /// <remarks>
    /// <para>Larger messages fail with <see cref="HydratePayloadTooLargeException"/> before anything is sent. Redis' own hard limit
    /// is the server setting <c>proto-max-bulk-len</c> (512 MB by default); do not set this option above it.</para>
    /// <para>The practical limit is lower: Redis disconnects a subscriber whose unsent output exceeds
    /// <c>client-output-buffer-limit pubsub</c> (32 MB at once, or 8 MB for 60 s, by default; RESP2 and RESP3 alike). Two
    /// 16 MB messages published back to back already exceed it, and the subscriber then misses them (it reconnects by
    /// itself, and <see cref="RedisTransport.ConnectionChanged"/> reports the gap). Hence the 4 MiB default; raise it only
    /// together with that server limit.</para>
    /// </remarks>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how many received messages may wait in the client for one subscription whose handler is busy before the
    /// oldest waiting message is dropped.
    /// </summary>
    /// <value>Defaults to 65,536. Must be at least 1.</value>
    /// <remarks>
    /// Redis pub/sub has no backpressure: the server pushes every message and the client reads it at once. Without a bound, a
    /// slow handler would let the client's memory grow without limit. Every dropped message is counted in
    /// <see cref="RedisTransport.DroppedCount"/> and logged (rate limited); HydrateCache's per-sender sequence numbers detect
    /// the gap.
    /// </remarks>
    public int MaxPendingMessages { get; set; } = 65_536;

    /// <summary>Gets or sets the <see cref="CommandFlags"/> of the <c>PUBLISH</c> command.</summary>
    /// <value>
    /// Defaults to <see cref="CommandFlags.None"/>: <see cref="RedisTransport.PublishAsync"/> completes when the server has
    /// acknowledged the message, and fails when it cannot.
    /// </value>
    /// <remarks>
    /// <see cref="CommandFlags.FireAndForget"/> makes a publish complete as soon as the command is queued in the client:
    /// faster, but failures (a broken connection, a timeout) are never reported. The message is copied first in that case.
    /// </remarks>
    public CommandFlags PublishFlags { get; set; } = CommandFlags.None;

    /// <summary>Gets or sets the logger factory for connection changes, handler failures and drops.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
