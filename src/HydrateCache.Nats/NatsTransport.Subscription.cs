using NATS.Client.Core;

namespace HydrateCache.Nats;

/// <summary>One subscription: a NATS.Net core subscription and the single loop that reads it and calls the handler.</summary>
public sealed partial class NatsTransport
{
    /// <summary>At most one drop report per subscription per this interval; the ones in between are summed into the next.</summary>
    internal static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(5);

    private sealed class Subscription : ITransportSubscription
    {
        private readonly NatsTransport _owner;
        private readonly TransportMessageHandler _handler;

        // Cancelled on dispose. It is also the NATS.Net subscription's own token, so cancelling it ends that subscription.
        private readonly CancellationTokenSource _stopping = new();
        private readonly CancellationToken _stoppingToken;
        private readonly AsyncLocal<bool> _inHandler = new();
        private INatsSub<NatsMemoryOwner<byte>>? _natsSubscription;
        private Task _loop = Task.CompletedTask;
        private long _dropped;
        private long _unreportedDrops;
        private long _nextDropReport;
        private int _disposed;

        public Subscription(NatsTransport owner, string topic, string subject, TransportMessageHandler handler)
        {
            _owner = owner;
            _handler = handler;
            Topic = topic;
            Subject = subject;

            // Captured once: the source may be disposed while a loop that was never awaited still checks the token.
            _stoppingToken = _stopping.Token;
        }

        public string Topic { get; }

        public string Subject { get; }

        public long DroppedCount => Interlocked.Read(ref _dropped);

        /// <summary>Sends the SUB (waiting for the connection if it is down) and registers for drop accounting.</summary>
        public async ValueTask OpenAsync(CancellationToken cancellationToken)
        {
            // The NATS.Net subscription lives as long as the token passed here, so it gets the subscription's own token, not
            // the caller's (which only bounds the wait).
            var subscribing = _owner._connection.SubscribeCoreAsync(Subject, queueGroup: null, ReceiveSerializer, _owner._subscriptionOptions, _stoppingToken);
            if (!subscribing.IsCompleted && cancellationToken.CanBeCanceled)
            {
                var task = subscribing.AsTask();
                try
                {
                    _natsSubscription = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up waiting; the SUB may still complete later: it ends with our token on dispose.
                    _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw;
                }
            }
            else
            {
                _natsSubscription = await subscribing.ConfigureAwait(false);
            }

            // Registered for drop accounting right after the SUB is queued. A drop in between would need the whole buffer
            // (SubscriptionCapacity messages) to arrive within these few microseconds; only such a drop could go uncounted.
            _owner._subscriptions[_natsSubscription] = this;
        }

        public void Start()
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _loop = Task.Run(ReadLoopAsync);
            }
        }

        public void OnDropped()
        {
            var total = Interlocked.Increment(ref _dropped);
            Interlocked.Increment(ref _unreportedDrops);
            var now = _owner._timeProvider.GetTimestamp();
            var next = Interlocked.Read(ref _nextDropReport);
            if (now >= next && Interlocked.CompareExchange(ref _nextDropReport, now + ToTimestampTicks(DropLogInterval), next) == next)
            {
                _owner._logger.MessagesDropped(Topic, _owner._capacity, Interlocked.Exchange(ref _unreportedDrops, 0), total);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // A handler disposing its own subscription must not wait for itself (its loop then still uses the token).
            var loopFinished = !_inHandler.Value;
            try
            {
                await _stopping.CancelAsync().ConfigureAwait(false);
                if (loopFinished)
                {
                    await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (_natsSubscription is { } natsSubscription)
                {
                    try
                    {
                        await natsSubscription.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // NATS.Net rethrows the error that ended the subscription, or fails the UNSUB on a dead connection;
                        // either way the subscription is closed on this side.
                        _owner._logger.UnsubscribeFailed(ex, Topic);
                    }

                    _owner._subscriptions.TryRemove(natsSubscription, out _);
                    _owner._logger.Unsubscribed(Topic, DroppedCount);
                }
            }
            finally
            {
                if (loopFinished)
                {
                    _stopping.Dispose();
                }
            }
        }

        private async Task ReadLoopAsync()
        {
            var reader = _natsSubscription!.Msgs;
            var token = _stoppingToken;
            _inHandler.Value = true;
            try
            {
                while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (!token.IsCancellationRequested && reader.TryRead(out var message))
                    {
                        var body = message.Data;
                        try
                        {
                            await _handler(new TransportMessage(Topic, body.Memory), token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (token.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception ex)
                        {
                            _owner.OnHandlerFailed(ex, Topic);
                        }
                        finally
                        {
                            // The body is valid only during the handler: its pooled buffer goes back now.
                            body.Dispose();
                        }
                    }
                }

                if (!token.IsCancellationRequested)
                {
                    _owner._logger.SubscriptionEnded(null, Topic, DescribeEnd());
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                _owner._logger.SubscriptionEnded(ex, Topic, DescribeEnd());
            }
            finally
            {
                DisposeBuffered(reader);
            }
        }

        private string DescribeEnd() =>
            _natsSubscription is NatsSubBase natsSubscription ? natsSubscription.EndReason.ToString() : "the message channel completed";

        /// <summary>Returns the pooled buffers of messages still queued when the loop stops (they are discarded).</summary>
        private static void DisposeBuffered(System.Threading.Channels.ChannelReader<NatsMsg<NatsMemoryOwner<byte>>> reader)
        {
            while (reader.TryRead(out var message))
            {
                message.Data.Dispose();
            }
        }

        private long ToTimestampTicks(TimeSpan interval) => (long)(interval.TotalSeconds * _owner._timeProvider.TimestampFrequency);
    }
}
