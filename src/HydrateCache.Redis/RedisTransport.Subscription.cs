using System.Threading.Channels;
using StackExchange.Redis;

namespace HydrateCache.Redis;

public sealed partial class RedisTransport
{
    /// <summary>
    /// One subscription: StackExchange.Redis' <see cref="ChannelMessageQueue"/> (ordered, but unbounded) drained at once
    /// into a <see cref="TransportSubscriptionPump"/>, the subscription's only bounded buffer, which calls the handler.
    /// </summary>
    private sealed class Subscription(RedisTransport owner, string topic, string channelName, ChannelMessageQueue queue, TransportMessageHandler handler)
        : ITransportSubscription
    {
        private Task _drain = Task.CompletedTask;
        private int _disposed;

        public string Topic => topic;

        public RedisChannel Channel { get; } = queue.Channel;

        public TransportSubscriptionPump Pump { get; } = new(topic, handler, owner._subscriptionBuffer, owner._logger);

        public void Start() => _drain = Task.Run(DrainAsync);

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            // Stop local delivery first, so nothing reaches the handler once this returns, whatever the server does.
            await Pump.DisposeAsync().ConfigureAwait(false);
            owner.Retire(this);
            try
            {
                // Fire-and-forget: the queue is unregistered at once (so it is never re-subscribed) and UNSUBSCRIBE is
                // queued; disposing never waits for a slow or unreachable server.
                await queue.UnsubscribeAsync(CommandFlags.FireAndForget).ConfigureAwait(false);
                owner._logger.Unsubscribed(channelName);
            }
            catch (Exception ex)
            {
                owner._logger.UnsubscribeFailed(ex, channelName);
            }

            await _drain.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        /// <summary>Moves every message from StackExchange.Redis' queue into the pump as soon as it arrives.</summary>
        private async Task DrainAsync()
        {
            var token = Pump.Stopping;
            try
            {
                while (true)
                {
                    if (!queue.TryRead(out var message))
                    {
                        message = await queue.ReadAsync(token).ConfigureAwait(false);
                    }

                    ReadOnlyMemory<byte> body = message.Message;
                    if (!Pump.TryPost(body.Span))
                    {
                        // Only under TransportOverflowPolicy.Wait: the wait lets StackExchange.Redis' unbounded queue grow instead.
                        await Pump.PostAsync(body, token).ConfigureAwait(false);
                    }
                }
            }
            catch (ChannelClosedException)
            {
                // Unsubscribed.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }
    }
}
