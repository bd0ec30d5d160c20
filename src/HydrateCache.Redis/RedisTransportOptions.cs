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
    /// Gets or sets the bounds of each subscription's buffer, where received messages wait while its handler is busy, and
    /// what happens when it is full.
    /// </summary>
    /// <value>
    /// Defaults to the <see cref="SubscriptionBufferOptions"/> defaults: 65,536 messages or 64 MiB per subscription,
    /// <see cref="TransportOverflowPolicy.DropOldest"/>, at most one loss log per subscription every 10 seconds. Read (and
    /// copied) when the transport is created.
    /// </value>
    /// <remarks>
    /// <para>Redis pub/sub has no backpressure: the server pushes every message and StackExchange.Redis reads it at once into
    /// an unbounded queue, which the transport drains into this buffer straight away, so this is the only bound on what a
    /// slow subscription holds.</para>
    /// <para>With <see cref="TransportOverflowPolicy.DropOldest"/> (the default) the oldest waiting message is dropped when the
    /// buffer is full, so memory stays bounded and the connection keeps being read. Every drop is counted in
    /// <see cref="RedisTransport.DroppedCount"/>, logged (rate limited) and reported to the handler in band
    /// (<see cref="TransportMessage.LostBefore"/>); of the messages waiting, the oldest is the least valuable to a versioned
    /// cache, as a newer update of the same key may be right behind it.</para>
    /// <para><see cref="TransportOverflowPolicy.Wait"/> never drops, but a full buffer then leaves the messages in
    /// StackExchange.Redis' unbounded queue: memory grows without limit for as long as the handler is slower than the
    /// publishers. Redis never slows a publisher down for a slow subscriber.</para>
    /// </remarks>
    public SubscriptionBufferOptions SubscriptionBuffer { get; set; } = new();

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

    /// <summary>Gets or sets the logger factory for connection changes, handler failures and lost messages.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
