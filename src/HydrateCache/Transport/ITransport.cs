namespace HydrateCache;

/// <summary>
/// A bytes-level publish/subscribe transport. HydrateCache needs nothing else from a broker, so a transport can be
/// written for any messaging system and used with or without Orleans.
/// </summary>
/// <remarks>
/// <para>Contract every implementation documents and the conformance suite checks:</para>
/// <list type="bullet">
/// <item><description><b>Broadcast</b>: every subscription of a topic receives its own copy of every message published to
/// that topic after the subscription was established (no competing consumers, no queue groups).</description></item>
/// <item><description><b>Order</b>: messages from one publisher to one topic reach each subscription in publish order.</description></item>
/// <item><description><b>Serial delivery</b>: a subscription's handler is never invoked concurrently with itself.</description></item>
/// <item><description><b>Isolation</b>: a handler that throws is logged and counted; the subscription keeps receiving.</description></item>
/// <item><description><b>Guarantee</b>: at-most-once unless the transport documents more. Drops the transport can detect
/// (a full client buffer, a reconnect) are counted and reported, never silent. Version checks in the cache make
/// duplicates and reordering harmless; gap detection uses the per-sender sequence in each envelope.</description></item>
/// </list>
/// <para>The message body passed to a handler is only valid until the handler's <see cref="ValueTask"/> completes;
/// copy it to keep it.</para>
/// </remarks>
public interface ITransport : IAsyncDisposable
{
    /// <summary>Publishes <paramref name="message"/> to every current subscriber of <paramref name="topic"/>.</summary>
    /// <param name="topic">The topic (channel, subject) name.</param>
    /// <param name="message">The message body. The transport copies what it needs before the returned task completes.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport has accepted the message.</returns>
    ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>Subscribes <paramref name="handler"/> to <paramref name="topic"/>.</summary>
    /// <param name="topic">The topic (channel, subject) name.</param>
    /// <param name="handler">Invoked serially, in order, for every message of the topic.</param>
    /// <param name="cancellationToken">A token to cancel establishing the subscription.</param>
    /// <returns>The subscription, established when the task completes; dispose it to unsubscribe.</returns>
    ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default);

    /// <summary>
    /// Raised when the transport loses its connection to the server and when it has re-established it (subscriptions
    /// included). Messages published while a subscriber was disconnected may never reach it: gap recovery listens to
    /// this event. Handlers run on the transport's thread and must not block.
    /// </summary>
    /// <remarks>Transports without connections (the in-memory one) never raise it.</remarks>
    event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;
}
