using Microsoft.Extensions.Logging;

namespace HydrateCache.Nats;

/// <summary>Options of a <see cref="NatsTransport"/>.</summary>
/// <remarks>
/// Connection settings (URL, TLS, credentials, reconnect timing) are not here: they belong to the
/// <c>NATS.Client.Core.INatsConnection</c> you pass to the transport, configured through its <c>NatsOpts</c>.
/// </remarks>
public sealed class NatsTransportOptions
{
    /// <summary>
    /// Gets or sets a prefix put in front of every topic name to form the NATS subject, for example <c>"hydrate."</c>
    /// (topic <c>prices</c> becomes subject <c>hydrate.prices</c>).
    /// </summary>
    /// <value>
    /// Defaults to the empty string: the subject is the topic name itself. The prefix follows the same rules as a subject
    /// (no whitespace, no control characters, no wildcards <c>*</c> or <c>&gt;</c>, no empty <c>.</c>-separated tokens)
    /// except that it may end with a <c>.</c>.
    /// </value>
    public string TopicPrefix { get; set; } = string.Empty;

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
    /// <para>With <see cref="TransportOverflowPolicy.DropOldest"/> (the default) the oldest buffered message is dropped when
    /// the buffer is full, so the transport's read loop, and NATS.Net's socket reader behind it, never wait: the other
    /// subscriptions and the connection itself are not affected, and the server never cuts the connection off as a slow
    /// consumer. Every drop is counted in <see cref="NatsTransport.DroppedCount"/>, logged (rate limited) and reported to
    /// the handler in band (<see cref="TransportMessage.LostBefore"/>).</para>
    /// <para><see cref="TransportOverflowPolicy.Wait"/> makes the read loop wait for room instead; the messages that arrive
    /// meanwhile fill NATS.Net's client buffer in front of it, which then drops its oldest (it must never block the socket
    /// reader). Those drops are counted and reported in band as well, so Wait only moves the losses, it does not avoid them.</para>
    /// </remarks>
    public SubscriptionBufferOptions SubscriptionBuffer { get; set; } = new();

    /// <summary>
    /// Gets or sets the delays between attempts to subscribe again when NATS.Net ends a subscription that was not disposed
    /// (for example after an error while handing it a message). Connection losses are not affected: NATS.Net reconnects
    /// and resubscribes by itself (<c>NatsOpts.ReconnectWaitMin</c>/<c>ReconnectWaitMax</c>).
    /// </summary>
    /// <value>
    /// Defaults to the <see cref="TransportBackoffOptions"/> defaults: 100 ms, doubling up to 30 seconds, each delay
    /// jittered between half and all of its step. Read (and copied) when the transport is created.
    /// </value>
    /// <remarks>While such a subscription is down, the transport reports <see cref="NatsTransport.ConnectionChanged"/>
    /// <see langword="false"/>; when it is back, <see langword="true"/> (messages published meanwhile did not reach it).</remarks>
    public TransportBackoffOptions ResubscribeBackoff { get; set; } = new();

    /// <summary>Gets or sets the logger factory for connection changes, lost messages and handler failures.</summary>
    /// <value>Defaults to none (no logging). NATS.Net logs through its own <c>NatsOpts.LoggerFactory</c>.</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
