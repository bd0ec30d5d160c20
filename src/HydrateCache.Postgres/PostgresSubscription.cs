using System.Diagnostics;
using System.Threading.Channels;

namespace HydrateCache.Postgres;

/// <summary>
/// One subscription: a bounded queue filled by the transport's listening connection and a pump that invokes the handler
/// serially, in order.
/// </summary>
internal sealed class PostgresSubscription : ITransportSubscription
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(5);

    private readonly PostgresTransport _owner;
    private readonly TransportMessageHandler _handler;
    private readonly Channel<PostgresDelivery> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly AsyncLocal<bool> _inHandler = new();
    private Task _pump = Task.CompletedTask;
    private long _droppedSinceLog;
    private long _lastDropLog;
    private int _disposed;

    public PostgresSubscription(PostgresTransport owner, string topic, string channel, TransportMessageHandler handler, int capacity)
    {
        _owner = owner;
        _handler = handler;
        Topic = topic;
        Channel = channel;
        Capacity = capacity;
        _queue = System.Threading.Channels.Channel.CreateBounded<PostgresDelivery>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <inheritdoc />
    public string Topic { get; }

    /// <summary>Gets the PostgreSQL channel name (topic prefix included).</summary>
    public string Channel { get; }

    public int Capacity { get; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public void Start() => _pump = Task.Run(PumpAsync);

    /// <summary>Queues a message without ever waiting: the listening connection must not stall. A full queue drops it (counted).</summary>
    public void Deliver(in PostgresDelivery delivery)
    {
        if (_queue.Writer.TryWrite(delivery) || IsDisposed)
        {
            return;
        }

        OnDropped();
    }

    /// <summary>Counts (and, rate limited, logs) a message this subscription did not get.</summary>
    public void OnDropped()
    {
        _owner.CountDropped();
        Interlocked.Increment(ref _droppedSinceLog);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last == 0 || Stopwatch.GetElapsedTime(last, now) >= DropLogInterval) && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            _owner.Logger.MessagesDropped(Topic, Interlocked.Exchange(ref _droppedSinceLog, 0), Capacity);
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
                while (!token.IsCancellationRequested && _queue.Reader.TryRead(out var delivery))
                {
                    var body = delivery.Body;
                    if (body is null)
                    {
                        // A large message: its row is being read (once for all subscriptions of the transport).
                        body = await delivery.Pending!.WaitAsync(token).ConfigureAwait(false);
                        if (body is null)
                        {
                            OnDropped();
                            continue;
                        }
                    }

                    try
                    {
                        await _handler(new TransportMessage(Topic, body), token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        _owner.CountHandlerFailure();
                        _owner.Logger.HandlerFailed(ex, Topic);
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
    }
}

/// <summary>A received message: the frame itself, or (large messages) the task reading it from the payload table.</summary>
/// <param name="Body">The frame, when it came inline.</param>
/// <param name="Pending">The read of the frame's row; completes with <see langword="null"/> when the row is gone or unreadable. Never faults.</param>
internal readonly record struct PostgresDelivery(byte[]? Body, Task<byte[]?>? Pending);
