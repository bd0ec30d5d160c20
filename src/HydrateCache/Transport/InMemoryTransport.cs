using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache;

/// <summary>
/// An in-process broadcast transport for tests, single-process demos and several Orleans silos hosted in one process.
/// Each instance is an independent bus: share one instance between the parties that should see each other's messages.
/// </summary>
/// <remarks>
/// Guarantees: every subscription gets every message published after it was established, in per-publisher order,
/// serially. Nothing is dropped: a subscription that falls <see cref="InMemoryTransportOptions.SubscriptionCapacity"/>
/// messages behind makes publishers wait. Messages are copied on publish, so the caller may reuse its buffer.
/// Messages still queued when a subscription or the transport is disposed are discarded.
/// </remarks>
public sealed class InMemoryTransport : ITransport
{
    private readonly ConcurrentDictionary<string, ImmutableSubscriptions> _topics = new(StringComparer.Ordinal);
    private readonly InMemoryTransportOptions _options;
    private readonly ILogger _logger;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="InMemoryTransport"/> class: a new, empty bus.</summary>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    public InMemoryTransport(InMemoryTransportOptions? options = null)
    {
        _options = options ?? new InMemoryTransportOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.SubscriptionCapacity, 1, "options.SubscriptionCapacity");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxMessageBytes, 1, "options.MaxMessageBytes");
        _logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<InMemoryTransport>();
    }

    private long _published;

    /// <inheritdoc />
    /// <remarks>An in-process bus never disconnects: this event is never raised.</remarks>
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged
    {
        add { }
        remove { }
    }

    /// <summary>Gets the number of messages published through this bus.</summary>
    public long PublishedCount => Interlocked.Read(ref _published);

    /// <inheritdoc />
    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (message.Length > _options.MaxMessageBytes)
        {
            throw new HydratePayloadTooLargeException(message.Length, _options.MaxMessageBytes, "in-memory transport");
        }

        Interlocked.Increment(ref _published);
        if (!_topics.TryGetValue(topic, out var subscriptions) || subscriptions.Items.Length == 0)
        {
            return;
        }

        // One copy shared by all subscribers: handlers only read it.
        var copy = message.ToArray();
        foreach (var subscription in subscriptions.Items)
        {
            await subscription.EnqueueAsync(copy, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        var subscription = new Subscription(this, topic, handler);
        _topics.AddOrUpdate(topic, static (_, s) => new ImmutableSubscriptions([s]), static (_, list, s) => list.Add(s), subscription);
        subscription.Start();
        return ValueTask.FromResult<ITransportSubscription>(subscription);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var topic in _topics.Values)
        {
            foreach (var subscription in topic.Items)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
        }

        _topics.Clear();
    }

    private void Remove(Subscription subscription) =>
        _topics.AddOrUpdate(subscription.Topic, static (_, _) => new ImmutableSubscriptions([]), static (_, list, s) => list.Remove(s), subscription);

    /// <summary>A copy-on-write list, so publishers iterate without locks.</summary>
    private sealed class ImmutableSubscriptions(Subscription[] items)
    {
        public Subscription[] Items { get; } = items;

        public ImmutableSubscriptions Add(Subscription subscription) => new([.. Items, subscription]);

        public ImmutableSubscriptions Remove(Subscription subscription) => new(Array.FindAll(Items, s => !ReferenceEquals(s, subscription)));
    }

    private sealed class Subscription : ITransportSubscription
    {
        private readonly InMemoryTransport _owner;
        private readonly TransportMessageHandler _handler;
        private readonly Channel<byte[]> _queue;
        private readonly CancellationTokenSource _stopping = new();
        private readonly AsyncLocal<bool> _inHandler = new();
        private Task _pump = Task.CompletedTask;
        private int _disposed;

        public Subscription(InMemoryTransport owner, string topic, TransportMessageHandler handler)
        {
            _owner = owner;
            _handler = handler;
            Topic = topic;
            _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(owner._options.SubscriptionCapacity)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public string Topic { get; }

        public void Start() => _pump = Task.Run(PumpAsync);

        public ValueTask EnqueueAsync(byte[] message, CancellationToken cancellationToken)
        {
            if (_queue.Writer.TryWrite(message))
            {
                return ValueTask.CompletedTask;
            }

            return WaitAndEnqueueAsync(message, cancellationToken);
        }

        private async ValueTask WaitAndEnqueueAsync(byte[] message, CancellationToken cancellationToken)
        {
            try
            {
                await _queue.Writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // Unsubscribed while the publisher waited: the message is not for this subscription any more.
            }
        }

        private async Task PumpAsync()
        {
            var token = _stopping.Token;
            _inHandler.Value = true;
            try
            {
                while (await _queue.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (!token.IsCancellationRequested && _queue.Reader.TryRead(out var message))
                    {
                        try
                        {
                            await _handler(new TransportMessage(Topic, message), token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (token.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception ex)
                        {
                            _owner._logger.InMemoryHandlerFailed(ex, Topic);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _owner.Remove(this);
            _queue.Writer.TryComplete();
            await _stopping.CancelAsync().ConfigureAwait(false);

            // Disposing from inside the handler must not wait for the handler itself.
            if (!_inHandler.Value)
            {
                await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            _stopping.Dispose();
        }
    }
}
