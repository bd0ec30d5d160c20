namespace HydrateCache.Nats;

/// <summary>The event ids of the NATS transport's log messages (the 6xxx range of <see cref="HydrateEventId"/>).</summary>
internal static class NatsEventIds
{
    /// <summary>The NATS connection was lost; subscriptions miss messages until it is back.</summary>
    public const int ConnectionLost = 6001;

    /// <summary>The NATS connection is back and every subscription of the transport is re-established.</summary>
    public const int ConnectionRestored = 6002;

    /// <summary>An attempt to reconnect to a NATS server failed; NATS.Net keeps trying.</summary>
    public const int ReconnectFailed = 6003;

    /// <summary>A subscription's client buffer was full and NATS.Net dropped received messages. Rate limited.</summary>
    public const int MessagesDropped = 6004;

    /// <summary>A subscription became a slow consumer (its client buffer filled up). Once per episode.</summary>
    public const int SlowConsumer = 6005;

    /// <summary>A subscription handler threw; the message is skipped and the subscription continues.</summary>
    public const int HandlerFailed = 6006;

    /// <summary>The transport subscribed to a NATS subject.</summary>
    public const int Subscribed = 6007;

    /// <summary>The transport unsubscribed from a NATS subject.</summary>
    public const int Unsubscribed = 6008;

    /// <summary>A subscription ended without being disposed (the connection was disposed, or the server ended it).</summary>
    public const int SubscriptionEnded = 6009;

    /// <summary>The NATS server sent an error (-ERR), for example a permissions violation.</summary>
    public const int ServerError = 6010;

    /// <summary>A handler of <see cref="NatsTransport.ConnectionChanged"/> threw.</summary>
    public const int ConnectionChangedHandlerFailed = 6011;

    /// <summary>Unsubscribing from the server failed while a subscription was disposed.</summary>
    public const int UnsubscribeFailed = 6012;
}
