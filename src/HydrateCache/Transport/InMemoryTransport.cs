using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache;

/// <summary>
/// An in-process broadcast transport for tests, single-process demos and several Orleans silos hosted in one process.
/// Each instance is an independent bus: share one instance between the parties that should see each other's messages.
/// </summary>
/// <remarks>
/// Guarantees: every subscription gets every message published after it was established, in per-publisher order,
/// serially. By default nothing is dropped: a subscription whose buffer (<see cref="InMemoryTransportOptions.SubscriptionBuffer"/>)
/// is full makes publishers wait. Messages are copied on publish, so the caller may reuse its buffer.
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
        ArgumentNullException.ThrowIfNull(_options.SubscriptionBuffer, "options.SubscriptionBuffer");
        _options.SubscriptionBuffer.Validate("options.SubscriptionBuffer");
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

    /// <summary>Gets the number of live subscriptions of <paramref name="topic"/> on this bus.</summary>
    /// <param name="topic">The topic.</param>
    /// <returns>The count; 0 for a topic nobody subscribes to.</returns>
    public int GetSubscriberCount(string topic) => _topics.TryGetValue(topic, out var subscriptions) ? subscriptions.Items.Length : 0;

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

        foreach (var subscription in subscriptions.Items)
        {
            await subscription.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
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

    /// <summary>A subscription is a pump (under the wait policy) registered under its topic.</summary>
    private sealed class Subscription(InMemoryTransport owner, string topic, TransportMessageHandler handler) : ITransportSubscription
    {
        private readonly TransportSubscriptionPump _pump = new(topic, handler, owner._options.SubscriptionBuffer, owner._logger);

        public string Topic => topic;

        public ValueTask EnqueueAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => _pump.PostAsync(message, cancellationToken);

        public ValueTask DisposeAsync()
        {
            owner.Remove(this);
            return _pump.DisposeAsync();
        }
    }
}
