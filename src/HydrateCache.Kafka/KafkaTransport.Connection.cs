using Confluent.Kafka;

namespace HydrateCache.Kafka;

/// <summary>Connection state: librdkafka reconnects by itself; this part only observes and reports it.</summary>
public sealed partial class KafkaTransport
{
    /// <summary>How long one reachability probe of a client may block.</summary>
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How often a disconnected transport probes its clients.</summary>
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly Lock _stateLock = new();
    private bool _connected = true;

    /// <summary>Incremented on every connection error; a recovery counts only if no error happened since its probes started.</summary>
    private int _generation;

    private Task _recovery = Task.CompletedTask;
    private string? _probeTopic;

    /// <inheritdoc />
    /// <remarks>
    /// Raised with <see langword="false"/> when the producer or a subscription's consumer reports that all brokers are down
    /// (<c>Local_AllBrokersDown</c>) or that a broker connection failed (<c>Local_Transport</c>); raised with
    /// <see langword="true"/> once the producer can read metadata again and every subscription's consumer has reached the
    /// leaders of its partitions (probed every 250 ms). A subscription whose consumer failed (a fatal error) is reported
    /// with <see langword="false"/> too, and the <see langword="true"/> then also waits until its new consumer is assigned
    /// (it resumes from where the old one stopped). With several brokers, losing one of them is reported too, and
    /// recovery then means the partitions' (possibly new) leaders are reachable. Subscriptions continue from their position,
    /// so messages stored while disconnected are still delivered. Raised on a librdkafka or transport thread; handlers must not block.
    /// </remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>Gets a value indicating whether the transport considers itself connected (see <see cref="ConnectionChanged"/>).</summary>
    /// <value><see langword="true"/> from construction until a connection error is reported.</value>
    public bool IsConnected
    {
        get
        {
            lock (_stateLock)
            {
                return _connected;
            }
        }
    }

    /// <summary>Gets 0 while connected; otherwise the generation that subscriptions should verify they reach their brokers for.</summary>
    internal int RecoveryGeneration
    {
        get
        {
            lock (_stateLock)
            {
                return _connected ? 0 : _generation;
            }
        }
    }

    /// <summary>Gets the current error generation (used to stamp a freshly established subscription as verified).</summary>
    internal int CurrentGeneration
    {
        get
        {
            lock (_stateLock)
            {
                return _generation;
            }
        }
    }

    internal void NoteTopic(string kafkaTopic) => Volatile.Write(ref _probeTopic, kafkaTopic);

    internal void OnClientError(string client, Error error)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (error.IsFatal)
        {
            Logger.FatalError(client, error.Code.ToString(), error.Reason);
        }
        else
        {
            Logger.ClientError(client, error.Code.ToString(), error.Reason);
        }

        if (error.Code is ErrorCode.Local_AllBrokersDown or ErrorCode.Local_Transport)
        {
            MarkDisconnected(error);
        }
    }

    /// <summary>
    /// A subscription's consumer failed and is being re-created: the transport is not fully connected until it is, so this
    /// is reported like a connection loss; the recovery loop reports <see langword="true"/> once the new consumer runs.
    /// </summary>
    internal void OnSubscriptionFailed(KafkaSubscription subscription, Exception exception)
    {
        lock (_stateLock)
        {
            _generation++;
            if (!_connected || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _connected = false;
            Logger.SubscriptionDown(subscription.Topic, subscription.KafkaTopic);
            RaiseConnectionChanged(false, new KafkaTransportException($"The consumer of Kafka topic '{subscription.KafkaTopic}' failed; it is being re-created: {exception.Message}", exception, isTransient: true));
            if (_recovery.IsCompleted)
            {
                _recovery = RecoverAsync(_stoppingToken);
            }
        }
    }

    private void MarkDisconnected(Error error)
    {
        lock (_stateLock)
        {
            _generation++;
            if (!_connected || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            _connected = false;
            Logger.Disconnected(error.Code.ToString(), error.Reason);
            RaiseConnectionChanged(false, new KafkaTransportException($"Kafka connection lost: {error.Code}: {error.Reason}", new KafkaException(error), isTransient: true));
            if (_recovery.IsCompleted)
            {
                _recovery = RecoverAsync(_stoppingToken);
            }
        }
    }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ProbeInterval, cancellationToken).ConfigureAwait(false);
                int generation;
                lock (_stateLock)
                {
                    if (_connected)
                    {
                        return;
                    }

                    generation = _generation;
                }

                if (!await Task.Run(ProbeProducer, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                var subscriptions = _subscriptions.Keys.ToArray();
                if (!Array.TrueForAll(subscriptions, s => s.VerifiedGeneration >= generation))
                {
                    continue;
                }

                lock (_stateLock)
                {
                    if (_generation != generation || Volatile.Read(ref _disposed) != 0)
                    {
                        continue;
                    }

                    _connected = true;
                    Logger.Reconnected(subscriptions.Length);
                    RaiseConnectionChanged(true, null);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private bool ProbeProducer()
    {
        try
        {
            var topic = Volatile.Read(ref _probeTopic);
            var metadata = topic is null ? _admin.GetMetadata(ProbeTimeout) : _admin.GetMetadata(topic, ProbeTimeout);
            return metadata.Brokers.Count > 0;
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    private Task StopRecoveryAsync()
    {
        Task recovery;
        lock (_stateLock)
        {
            recovery = _recovery;
        }

        return recovery.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void RaiseConnectionChanged(bool connected, Exception? exception)
    {
        var handler = ConnectionChanged;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new TransportConnectionEventArgs(connected, exception));
        }
        catch (Exception ex)
        {
            Logger.ConnectionHandlerFailed(ex);
        }
    }
}
