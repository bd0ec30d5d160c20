using System.Threading.Channels;
using StackExchange.Redis;

namespace HydrateCache.Redis;

public sealed partial class RedisTransport
{
    /// <summary>
    /// One subscription: a StackExchange.Redis <see cref="ChannelMessageQueue"/> (ordered, but unbounded) drained at once
    /// into a bounded buffer that drops its oldest message when full, and a pump that invokes the handler serially.
    /// </summary>
    private sealed class Subscription : ITransportSubscription
    {
        private const long DropLogIntervalMilliseconds = 5_000;

        private readonly RedisTransport _owner;
        private readonly ChannelMessageQueue _queue;
        private readonly TransportMessageHandler _handler;
        private readonly Channel<ChannelMessage> _buffer;
        private readonly CancellationTokenSource _stopping = new();
        private readonly AsyncLocal<bool> _inHandler = new();
        private Task _transfer = Task.CompletedTask;
        private Task _pump = Task.CompletedTask;
        private long _dropsNotLogged;
        private long _nextDropLogTicks;
        private int _disposed;

        public Subscription(RedisTransport owner, string topic, string channelName, ChannelMessageQueue queue, TransportMessageHandler handler)
        {
            _owner = owner;
            Topic = topic;
            ChannelName = channelName;
            Channel = queue.Channel;
            _queue = queue;
            _handler = handler;
            _buffer = System.Threading.Channels.Channel.CreateBounded<ChannelMessage>(
                new BoundedChannelOptions(owner._maxPendingMessages)
                {
                    SingleReader = true,
                    SingleWriter = true,
                    FullMode = BoundedChannelFullMode.DropOldest,
                },
                OnDropped);
        }

        public string Topic { get; }

        public string ChannelName { get; }

        public RedisChannel Channel { get; }

        public void Start()
        {
            _transfer = Task.Run(TransferAsync);
            _pump = Task.Run(PumpAsync);
        }

        /// <summary>Moves messages from StackExchange.Redis' unbounded queue into the bounded buffer as soon as they arrive.</summary>
        private async Task TransferAsync()
        {
            var token = _stopping.Token;
            try
            {
                while (!token.IsCancellationRequested)
                {
                    if (!_queue.TryRead(out var message))
                    {
                        message = await _queue.ReadAsync(token).ConfigureAwait(false);
                    }

                    _buffer.Writer.TryWrite(message);
                }
            }
            catch (ChannelClosedException)
            {
                // Unsubscribed.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            finally
            {
                _buffer.Writer.TryComplete();
            }
        }

        private async Task PumpAsync()
        {
            var token = _stopping.Token;
            _inHandler.Value = true;
            try
            {
                while (await _buffer.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (!token.IsCancellationRequested && _buffer.Reader.TryRead(out var message))
                    {
                        try
                        {
                            await _handler(new TransportMessage(Topic, (ReadOnlyMemory<byte>)message.Message), token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (token.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception ex)
                        {
                            _owner.OnHandlerFailed(ex, ChannelName);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }

        private void OnDropped(ChannelMessage message)
        {
            _owner.OnMessageDropped();
            Interlocked.Increment(ref _dropsNotLogged);
            var now = Environment.TickCount64;
            var next = Interlocked.Read(ref _nextDropLogTicks);
            if (now >= next && Interlocked.CompareExchange(ref _nextDropLogTicks, now + DropLogIntervalMilliseconds, next) == next)
            {
                LogDrops();
            }
        }

        private void LogDrops()
        {
            var dropped = Interlocked.Exchange(ref _dropsNotLogged, 0);
            if (dropped > 0)
            {
                _owner._logger.MessagesDropped(ChannelName, dropped, _owner._maxPendingMessages);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _owner.Remove(this);

            // Stop local delivery first, so nothing reaches the handler once this returns, whatever the server does.
            await _stopping.CancelAsync().ConfigureAwait(false);
            _buffer.Writer.TryComplete();
            try
            {
                // Fire-and-forget: the queue is unregistered at once (so it is never re-subscribed) and UNSUBSCRIBE is
                // queued; disposing never waits for a slow or unreachable server.
                await _queue.UnsubscribeAsync(CommandFlags.FireAndForget).ConfigureAwait(false);
                _owner._logger.Unsubscribed(ChannelName);
            }
            catch (Exception ex)
            {
                _owner._logger.UnsubscribeFailed(ex, ChannelName);
            }

            await _transfer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

            // Disposing from inside the handler must not wait for the handler itself.
            if (!_inHandler.Value)
            {
                await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            LogDrops();
            _stopping.Dispose();
        }
    }
}
