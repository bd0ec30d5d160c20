using System.Threading.Channels;
using NATS.Client.Core;

namespace HydrateCache.Nats;

/// <summary>One subscription: a NATS.Net core subscription whose messages one read loop copies into a pump.</summary>
public sealed partial class NatsTransport
{
    /// <summary>
    /// One subscription: the read loop copies every message of the NATS.Net subscription's channel into a
    /// <see cref="TransportSubscriptionPump"/>, the subscription's bounded buffer, which calls the handler. Messages that
    /// NATS.Net's own client buffer drops are reported to the pump, so they are counted and reported in band too. When
    /// NATS.Net ends the subscription by itself, it is replaced (see <see cref="ResubscribeAsync"/>).
    /// </summary>
    private sealed class Subscription(NatsTransport owner, string topic, string subject, TransportMessageHandler handler) : ITransportSubscription
    {
        private readonly TransportBackoff _backoff = new(owner._resubscribeBackoff, owner._timeProvider);
        private INatsSub<NatsMemoryOwner<byte>>? _natsSubscription;
        private Task _loop = Task.CompletedTask;
        private long _unreportedDrops;
        private int _disposed;

        public string Topic => topic;

        public TransportSubscriptionPump Pump { get; } = new(topic, handler, owner._subscriptionBuffer, owner._logger, owner._timeProvider);

        /// <summary>Client-buffer drops counted but not yet handed to the pump (for a moment: see <see cref="OnDropped"/>).</summary>
        public long UnreportedDrops => Interlocked.Read(ref _unreportedDrops);

        /// <summary>Sends the SUB (waiting for the connection if it is down) and registers for drop accounting.</summary>
        public async ValueTask OpenAsync(CancellationToken cancellationToken)
        {
            // The NATS.Net subscription lives as long as the token passed here, so it gets the pump's, not the caller's
            // (which only bounds the wait): disposing the pump ends the NATS.Net subscription.
            var subscribing = owner._connection.SubscribeCoreAsync(subject, queueGroup: null, ReceiveSerializer, owner._subscriptionOptions, Pump.Stopping);
            if (!subscribing.IsCompleted && cancellationToken.CanBeCanceled)
            {
                var task = subscribing.AsTask();
                try
                {
                    _natsSubscription = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The caller gave up waiting; the SUB may still complete later: it ends with the pump's token on dispose.
                    _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    throw;
                }
            }
            else
            {
                _natsSubscription = await subscribing.ConfigureAwait(false);
            }

            // Registered for drop accounting right after the SUB is queued. A drop in between would need the whole client
            // buffer to fill within these few microseconds; only such a drop could go uncounted.
            owner.Register(_natsSubscription, this);
        }

        public void Start()
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _loop = Task.Run(RunAsync);
            }
        }

        /// <summary>
        /// Counts a message NATS.Net's client buffer dropped. NATS.Net raises one event per message: they are handed to the
        /// pump in batches (whatever arrived by the time the queued report runs), so a burst of drops is one loss notice,
        /// not one per message.
        /// </summary>
        public void OnDropped()
        {
            if (Interlocked.Increment(ref _unreportedDrops) == 1)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.Pump.ReportLost(Interlocked.Exchange(ref s._unreportedDrops, 0)), this, preferLocal: false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // Stops delivery and cancels Pump.Stopping, which ends the read loop and the NATS.Net subscription. The read loop
            // never runs the handler, so waiting for it is safe even from inside the handler.
            await Pump.DisposeAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_natsSubscription is { } natsSubscription)
            {
                await DisposeNatsSubscriptionAsync(natsSubscription).ConfigureAwait(false);
                owner.Retire(natsSubscription);
                owner._logger.Unsubscribed(Topic, Pump.LostCount);
            }
        }

        /// <summary>
        /// Reads the NATS.Net subscription into the pump. When NATS.Net ends it without this subscription being disposed,
        /// subscribes again to the same subject (same pump, so the handler and the loss accounting stay) with backoff, and
        /// reads the new one: a subscription never dies silently.
        /// </summary>
        private async Task RunAsync()
        {
            var token = Pump.Stopping;
            while (true)
            {
                var natsSubscription = _natsSubscription!;
                var error = await ReadAsync(natsSubscription, token).ConfigureAwait(false);
                if (token.IsCancellationRequested)
                {
                    return;
                }

                owner._logger.SubscriptionEnded(error, Topic, DescribeEnd(natsSubscription));
                if (!await ResubscribeAsync(natsSubscription, token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        /// <summary>Copies messages into the pump until the NATS.Net subscription ends; returns the error that ended it, if any.</summary>
        private async Task<Exception?> ReadAsync(INatsSub<NatsMemoryOwner<byte>> natsSubscription, CancellationToken token)
        {
            var reader = natsSubscription.Msgs;
            try
            {
                while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var message))
                    {
                        // The body is a pooled buffer: the pump copies it, so it goes back to the pool at once.
                        using var body = message.Data;
                        if (!Pump.TryPost(body.Memory.Span))
                        {
                            // Only under TransportOverflowPolicy.Wait: NATS.Net's client buffer fills meanwhile, then drops.
                            await Pump.PostAsync(body.Memory, token).ConfigureAwait(false);
                        }
                    }
                }

                return null;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
            finally
            {
                DisposeBuffered(reader);
            }
        }

        /// <summary>
        /// Replaces an ended NATS.Net subscription: reported as a loss of connection (<see cref="ConnectionChanged"/>
        /// <see langword="false"/>, since messages published meanwhile never reach it), then SUB + PING/PONG retried with
        /// backoff until the server has the new subscription, then reported back (<see langword="true"/>). Gives up only
        /// when the connection was disposed (it can never subscribe again) or the subscription is disposed.
        /// </summary>
        /// <returns><see langword="true"/> when the subscription is back.</returns>
        private async Task<bool> ResubscribeAsync(INatsSub<NatsMemoryOwner<byte>> ended, CancellationToken token)
        {
            owner.Unregister(ended);
            await DisposeNatsSubscriptionAsync(ended).ConfigureAwait(false);
            owner.OnSubscriptionLost(Topic);
            INatsSub<NatsMemoryOwner<byte>>? fresh = null;
            try
            {
                await _backoff.RetryAsync(
                    async ct =>
                    {
                        if (fresh is null)
                        {
                            await OpenAsync(ct).ConfigureAwait(false);
                            fresh = _natsSubscription;
                        }

                        // The PONG proves the server processed the SUB: what is published from now on is delivered.
                        await owner._connection.PingAsync(ct).ConfigureAwait(false);
                        return true;
                    },
                    (ex, failures, delay) =>
                    {
                        if (ex is ObjectDisposedException)
                        {
                            return false;
                        }

                        owner._logger.ResubscribeFailed(ex, Topic, failures, (long)delay.TotalMilliseconds);
                        return true;
                    },
                    token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex)
            {
                owner._logger.ResubscribeAbandoned(ex, Topic);
                return false;
            }

            Interlocked.Increment(ref owner._resubscriptions);
            owner._logger.Resubscribed(Topic, subject);
            owner.OnSubscriptionRestored();
            return true;
        }

        private async ValueTask DisposeNatsSubscriptionAsync(INatsSub<NatsMemoryOwner<byte>> natsSubscription)
        {
            try
            {
                await natsSubscription.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // NATS.Net rethrows the error that ended the subscription, or fails the UNSUB on a dead connection;
                // either way the subscription is closed on this side.
                owner._logger.UnsubscribeFailed(ex, Topic);
            }
        }

        private static string DescribeEnd(INatsSub<NatsMemoryOwner<byte>> natsSubscription) =>
            natsSubscription is NatsSubBase natsSub ? natsSub.EndReason.ToString() : "the message channel completed";

        /// <summary>Returns the pooled buffers of messages still queued when the loop stops (they are discarded).</summary>
        private static void DisposeBuffered(ChannelReader<NatsMsg<NatsMemoryOwner<byte>>> reader)
        {
            while (reader.TryRead(out var message))
            {
                message.Data.Dispose();
            }
        }
    }
}
