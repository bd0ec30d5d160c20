using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache.Kafka;

/// <summary>
/// An <see cref="ITransport"/> over Apache Kafka (Confluent.Kafka / librdkafka). Each subscription reads every
/// partition of its topic with its own consumer, so every subscriber receives every message: Kafka's consumer groups
/// (which split a topic between members) are never used.
/// </summary>
/// <remarks>
/// <para><b>Topics.</b> A topic name (after <see cref="KafkaTransportOptions.TopicPrefix"/>) that is a legal Kafka topic
/// name (up to 249 characters of <c>[a-zA-Z0-9._-]</c>) is used as is. Any other name is mapped to its legal characters
/// ('_' for the others, cut to 200) plus '-' and 16 hex digits of its SHA-256, the same in every process. Topics are
/// created by the broker's auto-creation (on the first publish or subscribe), or must exist beforehand when the cluster
/// does not auto-create topics. The transport never deletes topics.</para>
/// <para><b>Messages.</b> The Kafka message value is the frame, unchanged. For a HydrateCache frame (read with
/// <see cref="HydrateFrame.TryReadMetadata"/>), the message key is the UTF-8 cache key and these UTF-8 string headers
/// are added: <c>hc-kind</c> ("upsert", "delete" or "invalidate"), <c>hc-version</c> ("physicalMs.counter"), <c>hc-sender</c> (GUID),
/// <c>hc-seq</c> (decimal), and when present <c>hc-ttl-start</c> (Unix ms), <c>hc-ttl-duration</c> (ms) and
/// <c>hc-codec</c> (the codec id). Other bytes are published as they are, without key or headers, to partition 0
/// (receiving channels drop them).</para>
/// <para><b>Delivery guarantee.</b> <see cref="PublishAsync"/> completes when the broker acknowledged the message
/// (<c>acks=all</c>, idempotent producer), and fails when it could not be delivered within
/// <see cref="KafkaTransportOptions.DeliveryTimeout"/>. A subscription receives every message stored after it was
/// established (<see cref="SubscribeAsync"/> reads each partition's end offset before it returns), including messages
/// published while its connection was down, because it resumes from its position. Messages can be missed when the
/// cluster loses them (for example an <c>acks=all</c> write to a topic with too few in-sync replicas, retention
/// deleting unread data, or a cluster that restarts empty, where the consumer resets to the end of the partition).
/// Nothing is dropped on the client: each subscription's buffer (<see cref="KafkaTransportOptions.SubscriptionBuffer"/>)
/// makes its consumer wait when full, and librdkafka's fetch queue stops fetching when full.</para>
/// <para><b>Order.</b> Kafka orders messages per partition. Messages with the same key always go to the same partition
/// (<c>murmur2</c> of the key, like the Java client), and the idempotent producer keeps their order across retries, so
/// updates of one cache key from one publisher reach every subscription in publish order. Updates of different keys
/// may be interleaved differently than published. Non-frame messages all go to partition 0, so they keep
/// per-publisher order. Adding partitions to a topic moves keys to other partitions: order across that change is not
/// guaranteed (the cache's version check makes that harmless).</para>
/// <para><b>Size.</b> Frames larger than <see cref="KafkaTransportOptions.MaxMessageBytes"/> (default 1,000,000 bytes)
/// fail with <see cref="HydratePayloadTooLargeException"/> before anything is sent.</para>
/// <para><b>Connection.</b> librdkafka reconnects by itself. <see cref="ConnectionChanged"/> reports <see langword="false"/>
/// when a client of this transport reports that all brokers are down or that a broker connection failed, and
/// <see langword="true"/> once the producer reaches the cluster again and every subscription's consumer reaches the
/// leaders of its partitions (its subscription then fetches again from where it stopped). A subscription whose consumer
/// fails unrecoverably (a fatal error) is reported the same way while a new consumer is created
/// (<see cref="KafkaTransportOptions.ResubscribeBackoff"/>) and resumes from the position the old one had reached, so
/// nothing the broker still holds is lost; offsets the broker deleted meanwhile (retention) are counted as lost and
/// reported in band (<see cref="TransportMessage.LostBefore"/>).</para>
/// <para><b>Threads.</b> Each subscription has a dedicated thread that consumes into a <see cref="TransportSubscriptionPump"/>,
/// which invokes its handler serially, in order.
/// The transport creates and owns all its Kafka clients: one producer, one consumer per subscription.</para>
/// </remarks>
public sealed partial class KafkaTransport : ITransport
{
    private static readonly TimeSpan DisposeFlushTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan QueueFullBackoff = TimeSpan.FromMilliseconds(5);

    private readonly KafkaTransportOptions _options;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly IAdminClient _admin;
    private readonly ConcurrentDictionary<string, string> _kafkaTopics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<KafkaSubscription, byte> _subscriptions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly CancellationTokenSource _abandonPublishes = new();
    private readonly CancellationToken _abandonPublishesToken;
    private readonly Lock _discoveryLock = new();
    private Task _discovery = Task.CompletedTask;
    private bool _discoveryStarted;
    private readonly TransportPumpTotals _pumpTotals = new();
    private long _dropped;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="KafkaTransport"/> class and creates its producer.</summary>
    /// <param name="options">The options; <see cref="KafkaTransportOptions.BootstrapServers"/> is required. They are copied
    /// now: later changes are ignored.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range, or <see cref="KafkaTransportOptions.ClientConfig"/>
    /// holds a setting librdkafka rejects.</exception>
    public KafkaTransport(KafkaTransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        options = Snapshot(options);
        _options = options;
        _maxMessageBytes = options.MaxMessageBytes;
        _stoppingToken = _stopping.Token;
        _abandonPublishesToken = _abandonPublishes.Token;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<KafkaTransport>();
        _producer = new ProducerBuilder<byte[]?, byte[]>(KafkaClientConfig.CreateProducerConfig(options))
            .SetErrorHandler((_, error) => OnClientError("producer", error))
            .SetLogHandler((_, message) => OnClientLog("producer", message))
            .Build();
        _admin = new DependentAdminClientBuilder(_producer.Handle).Build();
    }

    /// <summary>Gets the number of messages this transport knows were lost without their publisher being told: a publish
    /// whose wait was cancelled and whose delivery then failed, messages still queued in the producer at dispose, and
    /// messages a subscription's buffer dropped (never under the default <see cref="TransportOverflowPolicy.Wait"/>).</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped) + _pumpTotals.LostCount;

    /// <summary>Gets the number of times a subscription handler threw (each is logged; the subscription continues).</summary>
    public long HandlerFailureCount => _pumpTotals.HandlerFailures;

    internal KafkaTransportOptions Options => _options;

    /// <summary>Gets the live subscriptions (for tests).</summary>
    internal ICollection<KafkaSubscription> Subscriptions => _subscriptions.Keys;

    /// <summary>Gets how many times a subscription's consumer was re-created after it failed (for tests).</summary>
    internal int RecreatedConsumerCount => _subscriptions.Keys.Sum(s => s.RecreatedCount);

    internal ILogger Logger => _logger;

    /// <inheritdoc />
    /// <remarks>A publish waits for the broker's acknowledgement; cancelling <paramref name="cancellationToken"/> stops the
    /// wait, not the delivery (a message whose delivery then fails is counted in <see cref="DroppedCount"/>). While the
    /// producer's queue is full, the publish waits for room.</remarks>
    /// <exception cref="HydratePayloadTooLargeException"><paramref name="message"/> is larger than <see cref="KafkaTransportOptions.MaxMessageBytes"/>.</exception>
    /// <exception cref="KafkaTransportException">Kafka did not acknowledge the message (see <see cref="HydrateCacheException.IsTransient"/>).</exception>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (message.Length > _maxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(message.Length, _maxMessageBytes, "Kafka transport");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return PublishCoreAsync(topic, message, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>The subscription reads every partition of the topic from the end offsets read while subscribing: it receives
    /// the messages published after this task completes, never older ones. It creates the topic first when the cluster
    /// auto-creates topics.</remarks>
    /// <exception cref="KafkaTransportException">The topic's metadata or end offsets could not be read within
    /// <see cref="KafkaTransportOptions.SubscribeTimeout"/> (transient), or a Kafka error occurred.</exception>
    public async ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        var subscription = new KafkaSubscription(this, topic, GetKafkaTopic(topic), handler);
        await subscription.StartAsync(cancellationToken).ConfigureAwait(false);
        _pumpTotals.Track(subscription.Pump!);
        _subscriptions.TryAdd(subscription, 0);

        if (Volatile.Read(ref _disposed) != 0)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(KafkaTransport));
        }

        EnsurePartitionDiscovery();
        _logger.Subscribed(topic, subscription.KafkaTopic, subscription.PartitionCount);
        return subscription;
    }

    /// <summary>Stops every subscription, waits up to 5 seconds for the producer to deliver what it still holds, and
    /// releases the Kafka clients. Messages still queued after that are dropped, logged and counted.</summary>
    /// <returns>A task that completes when the transport is closed; it does not throw.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var subscription in _subscriptions.Keys)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        await _discovery.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await StopRecoveryAsync().ConfigureAwait(false);

        var undelivered = await Task.Run(FlushQuietly).ConfigureAwait(false);
        if (undelivered > 0)
        {
            Interlocked.Add(ref _dropped, undelivered);
            _logger.UndeliveredOnDispose(undelivered);
        }

        await _abandonPublishes.CancelAsync().ConfigureAwait(false);
        _admin.Dispose();
        _producer.Dispose();
        _stopping.Dispose();
        _abandonPublishes.Dispose();
    }

    internal string GetKafkaTopic(string topic) =>
        _kafkaTopics.GetOrAdd(topic, static (name, prefix) => KafkaTopicNames.Map(prefix + name), _options.TopicPrefix ?? string.Empty);

    internal void Remove(KafkaSubscription subscription) => _subscriptions.TryRemove(subscription, out _);

    /// <summary>Keeps the counters of a subscription whose pump and consumer have stopped.</summary>
    internal void OnClosed(KafkaSubscription subscription) => _pumpTotals.Retire(subscription.Pump!);

    /// <summary>Reads the partitions of <paramref name="kafkaTopic"/>; asks the cluster to auto-create the topic if missing.</summary>
    /// <returns>The partition ids, or <see langword="null"/> while the topic does not exist or a partition has no leader yet.</returns>
    /// <exception cref="KafkaException">The metadata request failed (for example timed out).</exception>
    internal int[]? GetPartitions(string kafkaTopic, TimeSpan timeout)
    {
        var metadata = _admin.GetMetadata(kafkaTopic, timeout);
        var topic = metadata.Topics.Find(t => string.Equals(t.Topic, kafkaTopic, StringComparison.Ordinal));
        if (topic is null || topic.Error.IsError || topic.Partitions.Count == 0 || topic.Partitions.Exists(p => p.Leader < 0))
        {
            if (topic is { Error.IsError: true } && IsPermanent(topic.Error.Code))
            {
                throw new KafkaException(topic.Error);
            }

            return null;
        }

        var ids = topic.Partitions.ConvertAll(p => p.PartitionId).ToArray();
        Array.Sort(ids);
        return ids;
    }

    internal IConsumer<Ignore, ReadOnlyMemory<byte>> CreateConsumer(string kafkaTopic) =>
        new ConsumerBuilder<Ignore, ReadOnlyMemory<byte>>(KafkaClientConfig.CreateConsumerConfig(_options))
            .SetValueDeserializer(new ReusableBodyDeserializer())
            .SetErrorHandler((_, error) => OnClientError($"consumer of '{kafkaTopic}'", error))
            .SetLogHandler((_, message) => OnClientLog($"consumer of '{kafkaTopic}'", message))
            .Build();

    private static void Validate(KafkaTransportOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            throw new ArgumentException("KafkaTransportOptions.BootstrapServers is required (a comma-separated host:port list).", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 1, "options.MaxMessageBytes");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxMessageBytes, 1_000_000_000 - KafkaClientConfig.RecordOverheadAllowance, "options.MaxMessageBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ConsumerFetchWaitMax, TimeSpan.Zero, "options.ConsumerFetchWaitMax");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ConsumerFetchWaitMax, TimeSpan.FromMinutes(5), "options.ConsumerFetchWaitMax");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ProducerLinger, TimeSpan.Zero, "options.ProducerLinger");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ProducerLinger, TimeSpan.FromMinutes(15), "options.ProducerLinger");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DeliveryTimeout, TimeSpan.FromMilliseconds(1), "options.DeliveryTimeout");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SubscribeTimeout, TimeSpan.FromMilliseconds(1), "options.SubscribeTimeout");
        ArgumentNullException.ThrowIfNull(options.SubscriptionBuffer, "options.SubscriptionBuffer");
        options.SubscriptionBuffer.Validate("options.SubscriptionBuffer");
        ArgumentNullException.ThrowIfNull(options.ResubscribeBackoff, "options.ResubscribeBackoff");
        options.ResubscribeBackoff.Validate("options.ResubscribeBackoff");
        if (options.PartitionDiscoveryInterval != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(options.PartitionDiscoveryInterval, TimeSpan.FromMilliseconds(1), "options.PartitionDiscoveryInterval");
        }
    }

    private static KafkaTransportOptions Snapshot(KafkaTransportOptions options)
    {
        var copy = new KafkaTransportOptions
        {
            BootstrapServers = options.BootstrapServers,
            TopicPrefix = options.TopicPrefix,
            MaxMessageBytes = options.MaxMessageBytes,
            ConsumerFetchWaitMax = options.ConsumerFetchWaitMax,
            ProducerLinger = options.ProducerLinger,
            DeliveryTimeout = options.DeliveryTimeout,
            SubscribeTimeout = options.SubscribeTimeout,
            PartitionDiscoveryInterval = options.PartitionDiscoveryInterval,
            SubscriptionBuffer = options.SubscriptionBuffer.Clone(),
            ResubscribeBackoff = options.ResubscribeBackoff.Clone(),
            LoggerFactory = options.LoggerFactory,
        };
        foreach (var (key, value) in options.ClientConfig)
        {
            copy.ClientConfig[key] = value;
        }

        return copy;
    }

    private static bool IsPermanent(ErrorCode code) =>
        code is ErrorCode.TopicAuthorizationFailed or ErrorCode.TopicException or ErrorCode.ClusterAuthorizationFailed;

    private static bool IsTransient(Error error) =>
        !error.IsFatal && error.Code is ErrorCode.Local_MsgTimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown
            or ErrorCode.Local_TimedOut or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_QueueFull or ErrorCode.Local_Retry
            or ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.NotLeaderForPartition or ErrorCode.LeaderNotAvailable
            or ErrorCode.BrokerNotAvailable or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.UnknownTopicOrPart or ErrorCode.KafkaStorageError;

    private static byte[] ToArray(ReadOnlyMemory<byte> message) =>
        MemoryMarshal.TryGetArray(message, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : message.ToArray();

    private int FlushQuietly()
    {
        try
        {
            return _producer.Flush(DisposeFlushTimeout);
        }
        catch (KafkaException)
        {
            // A producer in a fatal state cannot flush; what it still holds is lost either way.
            return 0;
        }
    }

    private async ValueTask PublishCoreAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var kafkaTopic = GetKafkaTopic(topic);
        NoteTopic(kafkaTopic);
        var (key, headers) = KafkaFrameMapping.Map(message);

        // librdkafka copies key, value and headers during Produce, so the caller may reuse its buffer afterwards.
        var kafkaMessage = new Message<byte[]?, byte[]> { Key = key, Value = ToArray(message), Headers = headers };
        var delivery = new PendingDelivery(this, kafkaTopic, message.Length);
        while (true)
        {
            try
            {
                if (key is null)
                {
                    // Keyless messages share partition 0 so one publisher's messages keep their order.
                    _producer.Produce(new TopicPartition(kafkaTopic, new Partition(0)), kafkaMessage, delivery.OnDelivery);
                }
                else
                {
                    _producer.Produce(kafkaTopic, kafkaMessage, delivery.OnDelivery);
                }

                break;
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                await Task.Delay(QueueFullBackoff, cancellationToken).ConfigureAwait(false);
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code is ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsgSize)
            {
                var recordSize = message.Length + (key?.Length ?? 0) + (headers?.Sum(h => h.Key.Length + h.GetValueBytes().Length) ?? 0);
                throw new HydratePayloadTooLargeException(recordSize, _maxMessageBytes + KafkaClientConfig.RecordOverheadAllowance, "Kafka producer (message.max.bytes, counting key, headers and record overhead)");
            }
            catch (ProduceException<byte[]?, byte[]> ex)
            {
                throw CreateException(ex.Error, kafkaTopic, message.Length, ex);
            }
            catch (ObjectDisposedException)
            {
                throw new ObjectDisposedException(nameof(KafkaTransport));
            }
        }

        using (cancellationToken.UnsafeRegister(static (state, token) => ((PendingDelivery)state!).Abandon(token), delivery))
        using (_abandonPublishesToken.UnsafeRegister(static state => ((PendingDelivery)state!).AbandonOnDispose(), delivery))
        {
            await delivery.Task.ConfigureAwait(false);
        }
    }

    private KafkaTransportException CreateException(Error error, string kafkaTopic, int size, Exception? inner)
    {
        if (error.Code is ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidMsgSize)
        {
            return new KafkaTransportException(
                $"Kafka rejected a {size}-byte message to topic '{kafkaTopic}' as too large ({error.Reason}): lower KafkaTransportOptions.MaxMessageBytes or raise the topic's max.message.bytes.",
                inner ?? new KafkaException(error),
                isTransient: false);
        }

        return new KafkaTransportException(
            $"Kafka did not accept a message to topic '{kafkaTopic}': {error.Code}: {error.Reason}",
            inner ?? new KafkaException(error),
            IsTransient(error));
    }

    private void OnUnobservedDeliveryFailure(string kafkaTopic, Error error)
    {
        Interlocked.Increment(ref _dropped);
        _logger.PublishDropped(kafkaTopic, error.Code.ToString(), error.Reason);
    }

    private void OnClientLog(string client, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice => LogLevel.Information,
            SyslogLevel.Info => LogLevel.Debug,
            _ => LogLevel.Trace,
        };
        _logger.ClientLog(level, client, message.Facility, message.Message);
    }

    private void EnsurePartitionDiscovery()
    {
        if (_options.PartitionDiscoveryInterval == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        lock (_discoveryLock)
        {
            if (!_discoveryStarted && Volatile.Read(ref _disposed) == 0)
            {
                _discoveryStarted = true;
                _discovery = DiscoverPartitionsAsync(_options.PartitionDiscoveryInterval, _stoppingToken);
            }
        }
    }

    private async Task DiscoverPartitionsAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var group in _subscriptions.Keys.GroupBy(s => s.KafkaTopic, StringComparer.Ordinal))
                {
                    try
                    {
                        var partitions = await Task.Run(() => GetPartitions(group.Key, TimeSpan.FromSeconds(10)), cancellationToken).ConfigureAwait(false);
                        if (partitions is null)
                        {
                            continue;
                        }

                        foreach (var subscription in group)
                        {
                            subscription.OfferPartitions(partitions);
                        }
                    }
                    catch (KafkaException ex)
                    {
                        _logger.PartitionDiscoveryFailed(ex, group.Key);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Completes one publish when its delivery report arrives; reports failures nobody waits for any more.</summary>
    private sealed class PendingDelivery(KafkaTransport owner, string kafkaTopic, int size)
        : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public void OnDelivery(DeliveryReport<byte[]?, byte[]> report)
        {
            if (!report.Error.IsError)
            {
                TrySetResult();
            }
            else if (!TrySetException(owner.CreateException(report.Error, kafkaTopic, size, null)))
            {
                owner.OnUnobservedDeliveryFailure(kafkaTopic, report.Error);
            }
        }

        public void Abandon(CancellationToken cancellationToken) => TrySetCanceled(cancellationToken);

        public void AbandonOnDispose() => TrySetException(new ObjectDisposedException(nameof(KafkaTransport), "The transport was disposed before Kafka acknowledged the message."));
    }
}
