using Microsoft.Extensions.Logging;

namespace HydrateCache.Kafka;

/// <summary>Options of a <see cref="KafkaTransport"/>.</summary>
/// <remarks>
/// <para>The transport creates and owns its Confluent.Kafka clients (one producer, one consumer per subscription) and
/// builds their configuration in this order: the transport's defaults (listed on each property and in the package
/// README), then every entry of <see cref="ClientConfig"/> (so you can override any default), then the settings the
/// transport cannot work without (<c>bootstrap.servers</c> from <see cref="BootstrapServers"/>, and for consumers a
/// unique <c>group.id</c>, <c>enable.auto.commit=false</c>, <c>enable.auto.offset.store=false</c>).</para>
/// <para>Defaults the transport sets: producer <c>enable.idempotence=true</c> (so retries keep order and add no
/// duplicates), <c>partitioner=murmur2_random</c> (the Java client's partitioner), <c>linger.ms</c> from
/// <see cref="ProducerLinger"/>, <c>message.timeout.ms</c> from <see cref="DeliveryTimeout"/>, <c>message.max.bytes</c>
/// = <see cref="MaxMessageBytes"/> + 65,536; consumer <c>fetch.wait.max.ms</c> from <see cref="ConsumerFetchWaitMax"/>,
/// <c>auto.offset.reset=latest</c>; both <c>client.id=hydratecache</c>, <c>socket.nagle.disable=true</c>,
/// <c>log.connection.close=false</c>, <c>reconnect.backoff.max.ms=2000</c>.</para>
/// </remarks>
public sealed class KafkaTransportOptions
{
    /// <summary>Gets or sets the Kafka bootstrap servers, a comma-separated <c>host:port</c> list (librdkafka's <c>bootstrap.servers</c>).</summary>
    /// <value>Required; defaults to an empty string, which the <see cref="KafkaTransport"/> constructor rejects.</value>
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>
    /// Gets librdkafka / Confluent.Kafka settings applied to the producer and to every consumer, for example TLS and SASL:
    /// <c>security.protocol</c>, <c>ssl.ca.location</c>, <c>ssl.certificate.location</c>, <c>sasl.mechanism</c>,
    /// <c>sasl.username</c>, <c>sasl.password</c>, <c>sasl.oauthbearer.method</c> (see librdkafka's CONFIGURATION.md).
    /// </summary>
    /// <value>Empty by default. Entries override the transport's defaults. A <c>group.id</c> entry becomes the prefix of each
    /// subscription's unique group id (useful for prefixed ACLs). Producer-only keys are ignored by consumers and
    /// consumer-only keys by the producer; <c>bootstrap.servers</c> always comes from <see cref="BootstrapServers"/>.</value>
    /// <remarks>Callback-based settings (an OAuth bearer token refresh handler, custom certificate verification) are not
    /// available through this dictionary; librdkafka's built-in OIDC support (<c>sasl.oauthbearer.method=oidc</c>) is.</remarks>
    public IDictionary<string, string> ClientConfig { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets a prefix added to every topic name before it is mapped to a Kafka topic.</summary>
    /// <value>Defaults to none: the Kafka topic is the topic name given (mapped to Kafka's legal characters, see <see cref="KafkaTransport"/>).</value>
    public string? TopicPrefix { get; set; }

    /// <summary>Gets or sets the largest message (the frame, excluding the key and headers the transport adds), in bytes, that
    /// <see cref="KafkaTransport.PublishAsync"/> accepts; larger ones fail with <see cref="HydratePayloadTooLargeException"/>.</summary>
    /// <value>Defaults to 1,000,000 bytes, Kafka's default <c>message.max.bytes</c> of a producer. A broker's default
    /// limit per record batch is 1,048,588 bytes, which leaves about 48 KB for the key, headers and record overhead.
    /// Raising this value requires raising the topic's <c>max.message.bytes</c> (or the broker's <c>message.max.bytes</c>);
    /// frames near 100 MB also need a larger <c>receive.message.max.bytes</c> (through <see cref="ClientConfig"/>).</value>
    public int MaxMessageBytes { get; set; } = 1_000_000;

    /// <summary>Gets or sets how long a consumer's fetch request may wait on the broker for data (<c>fetch.wait.max.ms</c>).</summary>
    /// <value>
    /// Defaults to 100 ms (librdkafka's default is 500 ms). A real Kafka broker answers a waiting fetch as soon as data
    /// arrives, so on a real cluster this only sets how often an idle subscription polls the broker (about 10 fetch
    /// requests per second per subscription and broker), not the latency. Brokers that do not answer early
    /// (librdkafka's mock cluster, used by the tests, which set 10 ms) add up to this value to every message's latency.
    /// </value>
    public TimeSpan ConsumerFetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets how long the producer waits to batch messages before sending them (<c>linger.ms</c>).</summary>
    /// <value>Defaults to 1 ms (librdkafka's default is 5 ms): a cache wants latency, and every <see cref="KafkaTransport.PublishAsync"/>
    /// waits for the broker's acknowledgement, so this value adds to each publish.</value>
    public TimeSpan ProducerLinger { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Gets or sets how long the producer keeps trying to deliver a message (<c>message.timeout.ms</c>); a publish
    /// that cannot be delivered in that time fails with a transient <see cref="KafkaTransportException"/>.</summary>
    /// <value>Defaults to 30 seconds (librdkafka's default is 5 minutes): a cache update that old is rarely worth delivering.</value>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long <see cref="KafkaTransport.SubscribeAsync"/> waits for the topic's metadata (creating the
    /// topic when the cluster auto-creates topics) and end offsets before failing with a transient <see cref="KafkaTransportException"/>.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan SubscribeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often the transport checks whether a subscribed topic gained partitions; new partitions are
    /// then read from their beginning. <see cref="Timeout.InfiniteTimeSpan"/> disables the check.</summary>
    /// <value>Defaults to 30 seconds. Until a new partition is discovered, messages that the producer puts on it are not
    /// delivered to existing subscriptions (they are delivered late, once it is).</value>
    public TimeSpan PartitionDiscoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the bounds of each subscription's buffer (the messages consumed but not yet handled) and its overflow policy.</summary>
    /// <value>Defaults to 65,536 messages, 64 MiB and <see cref="TransportOverflowPolicy.Wait"/>; loss logs (only possible
    /// under <see cref="TransportOverflowPolicy.DropOldest"/>) at most every 10 seconds per subscription.</value>
    /// <remarks>
    /// Under <see cref="TransportOverflowPolicy.Wait"/> a full buffer makes the subscription's consumer wait, which loses
    /// nothing: Kafka keeps the messages on the broker and the consumer goes on from its position once the handler caught
    /// up. This is the right policy for Kafka. <see cref="TransportOverflowPolicy.DropOldest"/> keeps the consumer at the
    /// head of the topic instead and drops (counts in <see cref="KafkaTransport.DroppedCount"/>, logs and reports in band
    /// through <see cref="TransportMessage.LostBefore"/>) what the handler cannot keep up with. When you assign a new
    /// <see cref="SubscriptionBufferOptions"/>, set its <see cref="SubscriptionBufferOptions.OverflowPolicy"/>: its own
    /// default is <see cref="TransportOverflowPolicy.DropOldest"/>.
    /// </remarks>
    public SubscriptionBufferOptions SubscriptionBuffer { get; set; } = new() { OverflowPolicy = TransportOverflowPolicy.Wait };

    /// <summary>
    /// Gets or sets the delays between attempts to re-create a subscription's consumer after it failed unrecoverably (a
    /// fatal librdkafka error, or its consume thread ended by an unexpected error).
    /// </summary>
    /// <value>Defaults to the <see cref="TransportBackoffOptions"/> defaults: 100 ms, doubling up to 30 seconds, each delay
    /// jittered between half and all of its step.</value>
    /// <remarks>The new consumer resumes every partition from the position the old one had reached, so messages the broker
    /// still holds are delivered; positions the broker no longer holds (deleted by retention) are counted as lost, reported
    /// in band, and the partition resumes from its earliest offset. Ordinary disconnects do not re-create consumers:
    /// librdkafka reconnects by itself.</remarks>
    public TransportBackoffOptions ResubscribeBackoff { get; set; } = new();

    /// <summary>Gets or sets the logger factory for connection changes, client errors, librdkafka's own log and handler failures.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
