namespace HydrateCache;

/// <summary>
/// The event ids of every log message HydrateCache writes, one range per area, so log filters and alerts can rely on them.
/// </summary>
/// <remarks>1xxx channel, 15xx transport subscriptions (<see cref="TransportSubscriptionPump"/>), 2xxx envelope and codec, 3xxx local cache, 4xxx Orleans integration,
/// 5xxx Redis, 6xxx NATS, 7xxx PostgreSQL, 8xxx Kafka.</remarks>
public static class HydrateEventId
{
    /// <summary>A subscription handler threw; the message is skipped and the subscription continues.</summary>
    public const int ChannelHandlerFailed = 1001;

    /// <summary>A channel subscribed to its topic.</summary>
    public const int ChannelSubscribed = 1002;

    /// <summary>A channel unsubscribed from its topic.</summary>
    public const int ChannelUnsubscribed = 1003;

    /// <summary>A publish failed.</summary>
    public const int ChannelPublishFailed = 1004;

    /// <summary>A channel could not subscribe to its control topic (loss recovery); it retries with backoff.</summary>
    public const int RecoverySubscribeFailed = 1101;

    /// <summary>A channel gave up missed messages of a sender as unrecoverable by retransmission.</summary>
    public const int RecoveryGaveUp = 1102;

    /// <summary>A heartbeat, retransmission request or retransmission could not be published (it is repeated later).</summary>
    public const int RecoveryPublishFailed = 1103;

    /// <summary>A channel loaded its cache from its <see cref="IHydrationSource{T}"/>.</summary>
    public const int SourceLoaded = 1104;

    /// <summary>Loading a channel's cache from its source failed; it is retried with backoff.</summary>
    public const int SourceLoadFailed = 1105;

    /// <summary>A transport subscription's handler threw; the message is skipped and the subscription continues.</summary>
    public const int SubscriptionHandlerFailed = 1501;

    /// <summary>A transport subscription lost messages (its buffer overflowed, or the client library dropped them). Rate limited.</summary>
    public const int SubscriptionMessagesLost = 1502;

    /// <summary>A received frame was rejected (malformed, unknown version, too large, ...). Rate limited.</summary>
    public const int EnvelopeRejected = 2001;

    /// <summary>A payload could not be decoded by the channel's codec, or was written by another codec. Rate limited.</summary>
    public const int PayloadRejected = 2002;

    /// <summary>A change notification handler of a local cache threw.</summary>
    public const int CacheChangeHandlerFailed = 3001;

    /// <summary>The local cache swept expired entries and old tombstones.</summary>
    public const int CacheSwept = 3002;

    /// <summary>A silo's stream provider receiver subscribed to a channel: the silo's cache of the channel is being hydrated.</summary>
    public const int OrleansHydrationStarted = 4001;

    /// <summary>A silo's stream provider receiver unsubscribed from a channel (the silo is stopping).</summary>
    public const int OrleansHydrationStopped = 4002;

    /// <summary>A silo's stream provider receiver could not subscribe to a channel.</summary>
    public const int OrleansHydrationStartFailed = 4004;

    /// <summary>A silo's cache of a channel is warm: loaded from a peer silo (or empty as the first silo) at start-up.</summary>
    public const int OrleansWarmStartCompleted = 4005;

    /// <summary>A silo stopped waiting for its caches to warm and became active with some still cold; they keep warming in the background.</summary>
    public const int OrleansWarmStartTimedOut = 4006;

    /// <summary>A silo repaired entries of its cache from a peer silo (after a reconnect, a loss, or an anti-entropy round).</summary>
    public const int OrleansRepaired = 4007;

    /// <summary>Reading a peer silo's cache failed; another peer or the next round is tried.</summary>
    public const int OrleansRepairFailed = 4008;

    /// <summary>A silo could not load a channel from its source (warm start or repair); it is tried again later.</summary>
    public const int OrleansSourceLoadFailed = 4009;

    /// <summary>PostgreSQL transport: listener connected.</summary>
    public const int PostgresListenerConnected = 7001;

    /// <summary>PostgreSQL transport: listener disconnected.</summary>
    public const int PostgresListenerDisconnected = 7002;

    /// <summary>PostgreSQL transport: listener reconnected.</summary>
    public const int PostgresListenerReconnected = 7003;

    /// <summary>PostgreSQL transport: listener connect failed.</summary>
    public const int PostgresListenerConnectFailed = 7004;

    /// <summary>PostgreSQL transport: listener closed.</summary>
    public const int PostgresListenerClosed = 7005;

    /// <summary>PostgreSQL transport: notification rejected.</summary>
    public const int PostgresNotificationRejected = 7008;

    /// <summary>PostgreSQL transport: large payload missing.</summary>
    public const int PostgresLargePayloadMissing = 7009;

    /// <summary>PostgreSQL transport: large payload fetch failed.</summary>
    public const int PostgresLargePayloadFetchFailed = 7010;

    /// <summary>PostgreSQL transport: payload table created.</summary>
    public const int PostgresPayloadTableCreated = 7011;

    /// <summary>PostgreSQL transport: payload cleanup failed.</summary>
    public const int PostgresPayloadCleanupFailed = 7012;

    /// <summary>PostgreSQL transport: payload cleanup completed.</summary>
    public const int PostgresPayloadCleanupCompleted = 7013;

    /// <summary>PostgreSQL transport: connection changed handler failed.</summary>
    public const int PostgresConnectionChangedHandlerFailed = 7014;

    /// <summary>PostgreSQL transport: publish retried.</summary>
    public const int PostgresPublishRetried = 7015;

    /// <summary>PostgreSQL transport: subscribed.</summary>
    public const int PostgresSubscribed = 7016;

    /// <summary>PostgreSQL transport: unsubscribed.</summary>
    public const int PostgresUnsubscribed = 7017;

    /// <summary>NATS transport: The NATS connection was lost; subscriptions miss messages until it is back.</summary>
    public const int NatsConnectionLost = 6001;

    /// <summary>NATS transport: The NATS connection is back and every subscription of the transport is re-established.</summary>
    public const int NatsConnectionRestored = 6002;

    /// <summary>NATS transport: An attempt to reconnect to a NATS server failed; NATS.Net keeps trying.</summary>
    public const int NatsReconnectFailed = 6003;

    /// <summary>NATS transport: A subscription became a slow consumer (its client buffer filled up). Once per episode.</summary>
    public const int NatsSlowConsumer = 6005;

    /// <summary>NATS transport: The transport subscribed to a NATS subject.</summary>
    public const int NatsSubscribed = 6007;

    /// <summary>NATS transport: The transport unsubscribed from a NATS subject.</summary>
    public const int NatsUnsubscribed = 6008;

    /// <summary>NATS transport: A subscription ended without being disposed (the connection was disposed, or the server ended it).</summary>
    public const int NatsSubscriptionEnded = 6009;

    /// <summary>NATS transport: The NATS server sent an error (-ERR), for example a permissions violation.</summary>
    public const int NatsServerError = 6010;

    /// <summary>NATS transport: A handler of <see cref="ITransport.ConnectionChanged"/> threw.</summary>
    public const int NatsConnectionChangedHandlerFailed = 6011;

    /// <summary>NATS transport: Unsubscribing from the server failed while a subscription was disposed.</summary>
    public const int NatsUnsubscribeFailed = 6012;

    /// <summary>NATS transport: A subscription that NATS.Net ended (not disposed) is down; it is subscribed again with backoff.</summary>
    public const int NatsSubscriptionDown = 6013;

    /// <summary>NATS transport: An attempt to subscribe again failed; retried after a delay.</summary>
    public const int NatsResubscribeFailed = 6014;

    /// <summary>NATS transport: A subscription that NATS.Net had ended is subscribed again and receives from now on.</summary>
    public const int NatsResubscribed = 6015;

    /// <summary>NATS transport: A subscription that NATS.Net ended cannot be subscribed again (the connection was disposed); it receives nothing more.</summary>
    public const int NatsResubscribeAbandoned = 6016;

    /// <summary>Kafka transport: A Kafka client (producer or a subscription's consumer) reported an error.</summary>
    public const int KafkaClientError = 8001;

    /// <summary>Kafka transport: The transport lost its connection to the brokers.</summary>
    public const int KafkaDisconnected = 8002;

    /// <summary>Kafka transport: The transport reached the brokers again and every subscription resumed.</summary>
    public const int KafkaReconnected = 8003;

    /// <summary>Kafka transport: A subscription was established.</summary>
    public const int KafkaSubscribed = 8005;

    /// <summary>Kafka transport: A subscription was disposed.</summary>
    public const int KafkaUnsubscribed = 8006;

    /// <summary>Kafka transport: Consuming a topic failed; the consumer retries by itself.</summary>
    public const int KafkaConsumeFailed = 8007;

    /// <summary>Kafka transport: A message whose publish was no longer awaited (cancelled wait, disposed transport) was not delivered.</summary>
    public const int KafkaPublishDropped = 8008;

    /// <summary>Kafka transport: A subscribed topic gained partitions; the subscription now reads them too.</summary>
    public const int KafkaPartitionsAdded = 8009;

    /// <summary>Kafka transport: A Kafka client reported a fatal error; it cannot be used any more.</summary>
    public const int KafkaFatalError = 8010;

    /// <summary>Kafka transport: Messages were still queued in the producer when the transport was disposed.</summary>
    public const int KafkaUndeliveredOnDispose = 8011;

    /// <summary>Kafka transport: Checking a subscribed topic for new partitions failed; retried at the next interval.</summary>
    public const int KafkaPartitionDiscoveryFailed = 8012;

    /// <summary>Kafka transport: A log line of librdkafka itself.</summary>
    public const int KafkaClientLog = 8013;

    /// <summary>Kafka transport: A handler of <c>KafkaTransport.ConnectionChanged</c> threw.</summary>
    public const int KafkaConnectionHandlerFailed = 8014;

    /// <summary>Kafka transport: A subscription's consumer failed unrecoverably; a new one is created and resumes from its position.</summary>
    public const int KafkaSubscriptionFailed = 8015;

    /// <summary>Kafka transport: A subscription is down while its failed consumer is re-created (reported through ConnectionChanged).</summary>
    public const int KafkaSubscriptionDown = 8016;

    /// <summary>Kafka transport: Re-creating a subscription's consumer failed; retried after a delay.</summary>
    public const int KafkaRecreateFailed = 8017;

    /// <summary>Kafka transport: A subscription's consumer was re-created and resumed every partition from its position.</summary>
    public const int KafkaRecreated = 8018;

    /// <summary>Kafka transport: A re-created consumer's position is no longer held by the broker; the partition resumes from its earliest offset and the gap is reported as lost.</summary>
    public const int KafkaPositionUnavailable = 8019;

    /// <summary>Redis transport: A connection that carries subscriptions was lost; messages published until it is back are not received.</summary>
    public const int RedisConnectionLost = 5001;

    /// <summary>Redis transport: The connection is back and the subscriptions are re-established.</summary>
    public const int RedisConnectionRestored = 5002;

    /// <summary>Redis transport: A subscription was established.</summary>
    public const int RedisSubscribed = 5005;

    /// <summary>Redis transport: A subscription was removed.</summary>
    public const int RedisUnsubscribed = 5006;

    /// <summary>Redis transport: A subscription could not be established.</summary>
    public const int RedisSubscribeFailed = 5007;

    /// <summary>Redis transport: Removing a subscription from the server failed (the local subscription is stopped regardless).</summary>
    public const int RedisUnsubscribeFailed = 5008;

    /// <summary>Redis transport: A <see cref="ITransport.ConnectionChanged"/> handler threw.</summary>
    public const int RedisConnectionChangedHandlerFailed = 5009;

    /// <summary>Redis transport: A publish failed; the exception is thrown to the caller.</summary>
    public const int RedisPublishFailed = 5010;

    /// <summary>Redis transport: A connection carrying subscriptions was re-established without a failure reported first (a gap all the same).</summary>
    public const int RedisReconnectedWithoutFailureReport = 5011;
}
