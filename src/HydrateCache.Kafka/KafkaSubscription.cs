using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;

namespace HydrateCache.Kafka;

/// <summary>
/// One subscription: its own consumer, manually assigned every partition of the topic from the end offsets read at
/// subscribe time, and a dedicated thread that consumes (<c>Consume</c> blocks) into a <see cref="TransportSubscriptionPump"/>,
/// which runs the handler serially.
/// </summary>
/// <remarks>
/// Under <see cref="TransportOverflowPolicy.Wait"/> (the default) the pump's buffer is the only buffer of the subscription:
/// when it is full the consume thread waits for room, which loses nothing (Kafka keeps the messages on the broker and the
/// consumer resumes from its position; librdkafka stops fetching when its own fetch queue is full). While it waits, it
/// still assigns newly discovered partitions and probes the leaders during a recovery. The consumer is manually assigned
/// and never joins a group, so not calling <c>Consume</c> for a while triggers no rebalance.
/// </remarks>
internal sealed class KafkaSubscription : ITransportSubscription
{
    /// <summary>How long one <c>Consume</c> call blocks, so disposal and new partitions are noticed quickly.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest single metadata or offset request while subscribing (retried until the subscribe timeout).</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private readonly KafkaTransport _owner;
    private readonly TransportMessageHandler _handler;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<int[]> _offeredPartitions = new();
    private readonly HashSet<int> _assigned = [];

    /// <summary>
    /// The next offset to consume per partition (<see cref="Offset.Beginning"/> for a partition added later and not read
    /// yet). Written by the consume thread only; read by <see cref="RecreateAsync"/> after that thread has ended.
    /// </summary>
    private readonly Dictionary<int, long> _positions = [];
    private readonly TransportBackoff _backoff;
    private IConsumer<Ignore, ReadOnlyMemory<byte>>? _consumer;
    private Thread? _thread;
    private int _partitionCount;
    private int _verifiedGeneration;
    private long _lastProbeTimestamp;
    private int _recreated;
    private int _disposed;

    public KafkaSubscription(KafkaTransport owner, string topic, string kafkaTopic, TransportMessageHandler handler)
    {
        _owner = owner;
        _handler = handler;
        _backoff = new TransportBackoff(owner.Options.ResubscribeBackoff);
        Topic = topic;
        KafkaTopic = kafkaTopic;
    }

    public string Topic { get; }

    public string KafkaTopic { get; }

    public int PartitionCount => Volatile.Read(ref _partitionCount);

    /// <summary>Gets the pump that runs the handler; <see langword="null"/> until <see cref="StartAsync"/> succeeded.</summary>
    public TransportSubscriptionPump? Pump { get; private set; }

    /// <summary>Gets the current consumer (for tests that make it fail); <see langword="null"/> while it is re-created.</summary>
    internal IConsumer<Ignore, ReadOnlyMemory<byte>>? Consumer => Volatile.Read(ref _consumer);

    /// <summary>Gets how many times this subscription's consumer was re-created after it failed.</summary>
    public int RecreatedCount => Volatile.Read(ref _recreated);

    /// <summary>Gets the last connection-error generation for which this subscription's consumer reached its partitions' leaders.</summary>
    public int VerifiedGeneration => Volatile.Read(ref _verifiedGeneration);

    /// <summary>Creates the consumer, reads the partitions and their end offsets, assigns them and starts consuming.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var generation = _owner.CurrentGeneration;
        var deadline = Stopwatch.StartNew();
        var timeout = _owner.Options.SubscribeTimeout;
        _owner.NoteTopic(KafkaTopic);
        try
        {
            var partitions = await RetryAsync(() => _owner.GetPartitions(KafkaTopic, Remaining(deadline, timeout)), "metadata", deadline, timeout, cancellationToken).ConfigureAwait(false);
            _consumer = _owner.CreateConsumer(KafkaTopic);
            var start = new List<TopicPartitionOffset>(partitions.Length);
            foreach (var partition in partitions)
            {
                var topicPartition = new TopicPartition(KafkaTopic, new Partition(partition));
                var end = await RetryAsync<long?>(
                    () => _consumer.QueryWatermarkOffsets(topicPartition, Remaining(deadline, timeout)).High.Value,
                    "end offsets",
                    deadline,
                    timeout,
                    cancellationToken).ConfigureAwait(false);
                start.Add(new TopicPartitionOffset(topicPartition, new Offset(end!.Value)));
                _positions[partition] = end.Value;
            }

            _consumer.IncrementalAssign(start);
            foreach (var partition in partitions)
            {
                _assigned.Add(partition);
            }

            Volatile.Write(ref _partitionCount, partitions.Length);
            Volatile.Write(ref _verifiedGeneration, generation);
            Pump = new TransportSubscriptionPump(Topic, _handler, _owner.Options.SubscriptionBuffer, _owner.Logger);
            StartThread();
        }
        catch
        {
            _consumer?.Dispose();
            _consumer = null;
            throw;
        }
    }

    /// <summary>Hands the current partition list of the topic to the consume thread, which assigns any new ones.</summary>
    public void OfferPartitions(int[] partitions)
    {
        if (partitions.Length > PartitionCount)
        {
            _offeredPartitions.Enqueue(partitions);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _owner.Remove(this);

        // Stops the handler (not waiting for it when called from it) and the consume thread, also while it waits for room.
        if (Pump is { } pump)
        {
            await pump.DisposeAsync().ConfigureAwait(false);
            await _stopped.Task.ConfigureAwait(false);
            _owner.OnClosed(this);
        }

        _owner.Logger.Unsubscribed(Topic, KafkaTopic);
    }

    private static TimeSpan Remaining(Stopwatch elapsed, TimeSpan timeout)
    {
        var remaining = timeout - elapsed.Elapsed;
        if (remaining > AttemptTimeout)
        {
            return AttemptTimeout;
        }

        return remaining > TimeSpan.FromMilliseconds(100) ? remaining : TimeSpan.FromMilliseconds(100);
    }

    private async Task<T> RetryAsync<T>(Func<T?> attempt, string what, Stopwatch elapsed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Exception? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var result = await Task.Run(attempt, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }
            }
            catch (KafkaException ex) when (ex.Error.Code is ErrorCode.TopicAuthorizationFailed or ErrorCode.TopicException or ErrorCode.ClusterAuthorizationFailed)
            {
                throw new KafkaTransportException($"Cannot subscribe to Kafka topic '{KafkaTopic}': {ex.Error.Code}: {ex.Error.Reason}", ex, isTransient: false);
            }
            catch (KafkaException ex)
            {
                last = ex;
            }

            if (elapsed.Elapsed >= timeout)
            {
                throw new KafkaTransportException(
                    $"The {what} of Kafka topic '{KafkaTopic}' could not be read within {timeout.TotalSeconds:0.#} s (is the cluster reachable, and does the topic exist or does the cluster auto-create topics?).",
                    last,
                    isTransient: true);
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Run()
    {
        var consumer = _consumer!;
        var pump = Pump!;
        var token = pump.Stopping;
        Exception? failure = null;
        try
        {
            while (!token.IsCancellationRequested)
            {
                AssignOfferedPartitions(consumer);
                ProbeIfRecovering(consumer);
                ConsumeResult<Ignore, ReadOnlyMemory<byte>>? result;
                try
                {
                    result = consumer.Consume(PollInterval);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal && ex.Error.Code != ErrorCode.Local_Fatal)
                {
                    _owner.Logger.ConsumeFailed(KafkaTopic, ex.Error.Code.ToString(), ex.Error.Reason);
                    continue;
                }

                if (result?.Message is null || result.IsPartitionEOF || token.IsCancellationRequested)
                {
                    continue;
                }

                Post(consumer, pump, result.Message.Value, token);
                _positions[result.Partition.Value] = result.Offset.Value + 1;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed while waiting for room in the pump's buffer.
        }
        catch (Exception ex)
        {
            // The consumer broke (a fatal error): it is replaced by a new one that resumes from the positions reached.
            // Nothing may escape a dedicated thread.
            failure = ex;
        }
        finally
        {
            try
            {
                // A consumer that never joined a group has nothing to commit: closing it cannot lose anything.
                consumer.Close();
            }
            catch (Exception)
            {
            }

            try
            {
                consumer.Dispose();
            }
            catch (Exception)
            {
            }

            if (failure is not null && !token.IsCancellationRequested)
            {
                _owner.Logger.SubscriptionFailed(failure, Topic, KafkaTopic);
                _ = RecreateAsync(failure, token);
            }
            else
            {
                _stopped.TrySetResult();
            }
        }
    }

    private void StartThread()
    {
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = "hydratecache-kafka-consumer",
        };
        _thread.Start();
    }

    /// <summary>
    /// Replaces a failed consumer: reported as a loss of connection, then a new consumer is created (retried with
    /// backoff), assigned every partition at the position the old one had reached, and consumed on a new thread. What the
    /// broker still holds is therefore replayed and nothing is lost; positions the broker no longer holds (deleted by
    /// retention) are counted as lost and reported in band, and the partition resumes from its earliest offset.
    /// </summary>
    private async Task RecreateAsync(Exception failure, CancellationToken token)
    {
        _owner.OnSubscriptionFailed(this, failure);
        try
        {
            await _backoff.RetryAsync(
                ct => new ValueTask<bool>(Task.Run(Reassign, ct)),
                (ex, failures, delay) =>
                {
                    _owner.Logger.RecreateFailed(ex, Topic, KafkaTopic, failures, (long)delay.TotalMilliseconds);
                    return true;
                },
                token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _stopped.TrySetResult();
            return;
        }

        Interlocked.Increment(ref _recreated);
        _owner.Logger.Recreated(Topic, KafkaTopic, _positions.Count);
        StartThread();
    }

    /// <summary>Creates a consumer and assigns it every partition at its position (runs on the thread pool: the calls block).</summary>
    private bool Reassign()
    {
        var generation = _owner.CurrentGeneration;
        var consumer = _owner.CreateConsumer(KafkaTopic);
        try
        {
            var start = new List<TopicPartitionOffset>(_positions.Count);
            var resets = new List<(int Partition, long From, long To)>();
            foreach (var (partition, next) in _positions)
            {
                var topicPartition = new TopicPartition(KafkaTopic, new Partition(partition));
                if (next == Offset.Beginning.Value)
                {
                    start.Add(new TopicPartitionOffset(topicPartition, Offset.Beginning));
                    continue;
                }

                var watermarks = consumer.QueryWatermarkOffsets(topicPartition, AttemptTimeout);
                if (next < watermarks.Low.Value || next > watermarks.High.Value)
                {
                    // Below the earliest offset: retention deleted messages this subscription had not read. Above the end:
                    // the partition's log is shorter than what was read (the cluster lost data). Either way, resume from
                    // the earliest offset the broker holds.
                    resets.Add((partition, next, watermarks.Low.Value));
                    start.Add(new TopicPartitionOffset(topicPartition, watermarks.Low));
                }
                else
                {
                    start.Add(new TopicPartitionOffset(topicPartition, new Offset(next)));
                }
            }

            consumer.IncrementalAssign(start);
            long lost = 0;
            foreach (var (partition, from, to) in resets)
            {
                _positions[partition] = to;
                var gap = Math.Max(0, to - from);
                lost += gap;
                _owner.Logger.PositionUnavailable(Topic, KafkaTopic, partition, from, to, gap);
            }

            // Offsets the broker deleted before they were read are messages this subscription lost: counted and
            // reported to the handler in band, where they happened.
            Pump!.ReportLost(lost);
            _consumer = consumer;
            Volatile.Write(ref _verifiedGeneration, generation);
            return true;
        }
        catch
        {
            consumer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the body (copied by the pump: the deserializer reuses its buffer) to the pump. When its buffer is full
    /// (<see cref="TransportOverflowPolicy.Wait"/>), waits for room, still assigning new partitions and probing leaders.
    /// </summary>
    private void Post(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer, TransportSubscriptionPump pump, ReadOnlyMemory<byte> body, CancellationToken token)
    {
        var post = pump.PostAsync(body, token);
        if (post.IsCompletedSuccessfully)
        {
            return;
        }

        var waiting = post.AsTask();
        while (Task.WaitAny([waiting], PollInterval) < 0)
        {
            AssignOfferedPartitions(consumer);
            ProbeIfRecovering(consumer);
        }

        waiting.GetAwaiter().GetResult();
    }

    private void AssignOfferedPartitions(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer)
    {
        while (_offeredPartitions.TryDequeue(out var partitions))
        {
            var added = new List<TopicPartitionOffset>();
            foreach (var partition in partitions)
            {
                if (_assigned.Add(partition))
                {
                    // The partition appeared after this subscription started: everything on it is new.
                    added.Add(new TopicPartitionOffset(KafkaTopic, new Partition(partition), Offset.Beginning));
                    _positions[partition] = Offset.Beginning.Value;
                }
            }

            if (added.Count > 0)
            {
                consumer.IncrementalAssign(added);
                Volatile.Write(ref _partitionCount, _assigned.Count);
                _owner.Logger.PartitionsAdded(KafkaTopic, _assigned.Count, Topic);
            }
        }
    }

    /// <summary>While the transport is disconnected, checks (from this thread) that the consumer reaches every partition's leader.</summary>
    private void ProbeIfRecovering(IConsumer<Ignore, ReadOnlyMemory<byte>> consumer)
    {
        var generation = _owner.RecoveryGeneration;
        if (generation == 0 || generation <= VerifiedGeneration
            || Stopwatch.GetElapsedTime(_lastProbeTimestamp) < KafkaTransport.ProbeInterval)
        {
            return;
        }

        _lastProbeTimestamp = Stopwatch.GetTimestamp();
        try
        {
            foreach (var partition in _assigned)
            {
                consumer.QueryWatermarkOffsets(new TopicPartition(KafkaTopic, new Partition(partition)), KafkaTransport.ProbeTimeout);
            }

            Volatile.Write(ref _verifiedGeneration, generation);
        }
        catch (KafkaException)
        {
            // Still unreachable; probed again after the interval.
        }
    }
}
