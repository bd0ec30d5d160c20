using System.Buffers;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HydrateCache;

/// <summary>
/// The receive half of a transport subscription, written once for every transport: a buffer bounded by message count
/// and bytes with an explicit <see cref="TransportOverflowPolicy"/>, and one loop that hands messages to the handler
/// serially and in order, isolating its failures. A transport author only writes the server side: read the client
/// library and <see cref="TryPost"/> (or <see cref="PostAsync"/>) each message body.
/// </summary>
/// <remarks>
/// <para><b>Copies.</b> A posted body is copied into a pooled buffer, so the caller may reuse its memory at once; the
/// copy goes back to the pool when the handler's task completes (the handler must not keep the body).</para>
/// <para><b>Losses</b> (drop-oldest overflow, or drops the client library reports through <see cref="ReportLost"/>) are
/// counted in <see cref="LostCount"/>, logged at most once per <see cref="SubscriptionBufferOptions.LossLogInterval"/>,
/// and reported to the handler in band through <see cref="TransportMessage.LostBefore"/>, where they happened.</para>
/// <para><b>Isolation.</b> A handler that throws is logged and counted in <see cref="HandlerFailures"/>; the next
/// message is delivered as usual.</para>
/// <para><b>Disposal</b> stops delivery: once <see cref="DisposeAsync"/> returns, the handler is not running and will not
/// be called again, except when the handler disposes the pump itself, which returns at once without waiting for
/// the handler (it would wait for itself). Messages still buffered are discarded.</para>
/// </remarks>
public sealed class TransportSubscriptionPump : IAsyncDisposable
{
    private readonly TransportMessageHandler _handler;
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private readonly TransportOverflowPolicy _policy;
    private readonly ILogger _logger;
    private readonly LogRateLimiter _lossLog;
    private readonly Queue<Entry> _queue = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly AsyncLocal<bool> _inHandler = new();
    private readonly Task _loop;

    // Guarded by _queue.
    private long _bytes;
    private long _lostBeforeHead;
    private NoticeCount? _tailNotice;
    private readonly ReaderSignal _messageAvailable = new();
    private bool _readerWaiting;
    private TaskCompletionSource? _roomAvailable;
    private bool _disposed;

    private long _delivered;
    private long _lost;
    private long _lostNotLogged;
    private long _handlerFailures;

    /// <summary>Initializes a new instance of the <see cref="TransportSubscriptionPump"/> class and starts its delivery loop.</summary>
    /// <param name="topic">The topic, passed to the handler and used in logs.</param>
    /// <param name="handler">The subscriber's handler, invoked serially and in order.</param>
    /// <param name="options">The buffer bounds and overflow policy; defaults when <see langword="null"/>. Read once.</param>
    /// <param name="logger">The logger for losses and handler failures; none when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock that rate-limits the loss log; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public TransportSubscriptionPump(
        string topic,
        TransportMessageHandler handler,
        SubscriptionBufferOptions? options = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new SubscriptionBufferOptions();
        options.Validate(nameof(options));

        Topic = topic;
        _handler = handler;
        _maxMessages = options.MaxMessages;
        _maxBytes = options.MaxBytes;
        _policy = options.OverflowPolicy;
        _logger = logger ?? NullLogger.Instance;
        _lossLog = new LogRateLimiter(timeProvider ?? TimeProvider.System, options.LossLogInterval);

        // Captured once: the loop may still check it after the source is disposed.
        _stoppingToken = _stopping.Token;
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>Gets the topic.</summary>
    public string Topic { get; }

    /// <summary>Gets the number of messages handed to the handler (loss notices not included).</summary>
    public long DeliveredCount => Interlocked.Read(ref _delivered);

    /// <summary>Gets the number of messages lost: dropped by the overflow policy or reported by <see cref="ReportLost"/>.</summary>
    public long LostCount => Interlocked.Read(ref _lost);

    /// <summary>Gets the number of handler invocations that threw.</summary>
    public long HandlerFailures => Interlocked.Read(ref _handlerFailures);

    /// <summary>Gets the number of messages waiting in the buffer.</summary>
    public int BufferedCount
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Gets the number of message bytes waiting in the buffer.</summary>
    public long BufferedBytes
    {
        get
        {
            lock (_queue)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Gets a token that is cancelled when the pump is disposed, for the transport's own read loop.</summary>
    public CancellationToken Stopping => _stoppingToken;

    /// <summary>
    /// Gets a task that completes when the delivery loop has ended: after disposal, once a handler call in progress has
    /// returned. The counters are final from then on (a handler that disposes its own pump is still counted after that).
    /// </summary>
    internal Task Completion => _loop;

    /// <summary>
    /// Buffers a copy of <paramref name="body"/> for delivery. With <see cref="TransportOverflowPolicy.DropOldest"/> this
    /// always succeeds (dropping the oldest messages when the buffer is full); with <see cref="TransportOverflowPolicy.Wait"/>
    /// it fails when the buffer is full (use <see cref="PostAsync"/> to wait for room).
    /// </summary>
    /// <param name="body">The message body.</param>
    /// <returns><see langword="true"/> when the message was buffered or the pump is disposed (the message is then discarded);
    /// <see langword="false"/> when it must wait for room.</returns>
    public bool TryPost(ReadOnlySpan<byte> body)
    {
        var copy = Rent(body);
        if (TryEnqueue(copy, body.Length, out _))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(copy);
        return false;
    }

    /// <summary>Buffers a copy of <paramref name="body"/> for delivery, waiting for room under <see cref="TransportOverflowPolicy.Wait"/>.</summary>
    /// <param name="body">The message body.</param>
    /// <param name="cancellationToken">A token to stop waiting for room.</param>
    /// <returns>A task that completes when the message is buffered (or discarded because the pump was disposed meanwhile).</returns>
    public ValueTask PostAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var copy = Rent(body.Span);
        return TryEnqueue(copy, body.Length, out var room) ? ValueTask.CompletedTask : WaitAndEnqueueAsync(copy, body.Length, room!, cancellationToken);
    }

    /// <summary>
    /// Reports messages the client library lost before they reached this pump (for example its own buffer overflowed).
    /// They are counted, logged (rate limited) and reported to the handler in band after the messages buffered now.
    /// </summary>
    /// <param name="count">The number of messages lost; ignored when not positive.</param>
    public void ReportLost(long count)
    {
        if (count <= 0)
        {
            return;
        }

        lock (_queue)
        {
            if (_disposed)
            {
                return;
            }

            // Consecutive reports fold into one notice, so a stuck handler cannot make notices pile up.
            if (_tailNotice is not null)
            {
                _tailNotice.Value += count;
            }
            else
            {
                _tailNotice = new NoticeCount { Value = count };
                _queue.Enqueue(new Entry(null, 0, 0, _tailNotice));
            }

            SignalMessage();
        }

        OnLost(count, "the client library dropped them");
    }

    /// <summary>Stops delivery and discards buffered messages. Waits for a handler call in progress, unless called from the handler.</summary>
    /// <returns>A task that completes when delivery has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        bool wakeReader;
        TaskCompletionSource? room;
        lock (_queue)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            wakeReader = _readerWaiting;
            _readerWaiting = false;
            room = _roomAvailable;
            _roomAvailable = null;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (wakeReader)
        {
            _messageAvailable.Set();
        }

        room?.TrySetResult();
        if (!_inHandler.Value)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stopping.Dispose();
        }
    }

    private static byte[] Rent(ReadOnlySpan<byte> body)
    {
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(copy);
        return copy;
    }

    /// <summary>
    /// Buffers the copy if there is room (or makes room under drop-oldest). Returns false only under Wait when full, with
    /// the task that completes when the loop next takes a message: registered under the same lock as the check, so a
    /// message taken right after the check cannot be missed.
    /// </summary>
    private bool TryEnqueue(byte[] copy, int length, out Task? room)
    {
        room = null;
        long dropped = 0;
        lock (_queue)
        {
            if (_disposed)
            {
                // Unsubscribed: the message is not for this subscription any more; not a loss.
                ArrayPool<byte>.Shared.Return(copy);
                return true;
            }

            while (_queue.Count > 0 && (_queue.Count >= _maxMessages || _bytes + length > _maxBytes))
            {
                if (_policy == TransportOverflowPolicy.Wait)
                {
                    _roomAvailable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    room = _roomAvailable.Task;
                    return false;
                }

                var oldest = TakeHead(out var lostBefore);

                // A dropped loss notice is not a message: its count moves to the new head, with the dropped message if any.
                var droppedHere = oldest.Buffer is null ? 0 : 1;
                ReturnBuffer(oldest);
                _lostBeforeHead += lostBefore + droppedHere;
                dropped += droppedHere;
            }

            _queue.Enqueue(new Entry(copy, length, 0));
            _bytes += length;
            _tailNotice = null;
            SignalMessage();
        }

        if (dropped > 0)
        {
            OnLost(dropped, "the subscription buffer was full");
        }

        return true;
    }

    private async ValueTask WaitAndEnqueueAsync(byte[] copy, int length, Task room, CancellationToken cancellationToken)
    {
        try
        {
            do
            {
                await room.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            while (!TryEnqueue(copy, length, out room!));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(copy);
            throw;
        }
    }

    /// <summary>Wakes the delivery loop if it waits for a message. Called under the lock.</summary>
    private void SignalMessage()
    {
        if (_readerWaiting)
        {
            _readerWaiting = false;
            _messageAvailable.Set();
        }
    }

    private async Task RunAsync()
    {
        var token = _stoppingToken;
        _inHandler.Value = true;
        while (true)
        {
            Entry entry;
            long lostBefore;
            ValueTask wait = default;
            var idle = false;
            TaskCompletionSource? room = null;
            lock (_queue)
            {
                if (_disposed)
                {
                    DiscardBuffered();
                    return;
                }

                if (_queue.Count == 0)
                {
                    // One reusable signal for the one reader: going idle allocates nothing.
                    wait = _messageAvailable.Arm();
                    _readerWaiting = true;
                    idle = true;
                    entry = default;
                    lostBefore = 0;
                }
                else
                {
                    entry = TakeHead(out lostBefore);
                    lostBefore += _lostBeforeHead;
                    _lostBeforeHead = 0;
                    room = _roomAvailable;
                    _roomAvailable = null;
                }
            }

            if (idle)
            {
                await wait.ConfigureAwait(false);
                continue;
            }

            room?.TrySetResult();
            await DeliverAsync(entry, lostBefore, token).ConfigureAwait(false);
        }
    }

    private async ValueTask DeliverAsync(Entry entry, long lostBefore, CancellationToken token)
    {
        try
        {
            var body = entry.Buffer is null ? ReadOnlyMemory<byte>.Empty : entry.Buffer.AsMemory(0, entry.Length);
            await _handler(new TransportMessage(Topic, body) { LostBefore = lostBefore, IsLossNotice = entry.Buffer is null }, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed while the handler ran.
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _handlerFailures);
            _logger.SubscriptionHandlerFailed(ex, Topic);
        }
        finally
        {
            if (entry.Buffer is not null)
            {
                Interlocked.Increment(ref _delivered);
                ArrayPool<byte>.Shared.Return(entry.Buffer);
            }
        }
    }

    /// <summary>Dequeues the head and tells how many messages were lost right before it. Called under the lock.</summary>
    private Entry TakeHead(out long lostBefore)
    {
        var head = _queue.Dequeue();
        _bytes -= head.Length;
        lostBefore = head.Notice?.Value ?? head.LostBefore;
        if (ReferenceEquals(head.Notice, _tailNotice))
        {
            _tailNotice = null;
        }

        return head;
    }

    private void DiscardBuffered()
    {
        while (_queue.TryDequeue(out var entry))
        {
            ReturnBuffer(entry);
        }

        _bytes = 0;
    }

    private static void ReturnBuffer(Entry entry)
    {
        if (entry.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(entry.Buffer);
        }
    }

    private void OnLost(long count, string cause)
    {
        var total = Interlocked.Add(ref _lost, count);
        Interlocked.Add(ref _lostNotLogged, count);
        if (_lossLog.ShouldLog(0, out _))
        {
            _logger.SubscriptionMessagesLost(Topic, Interlocked.Exchange(ref _lostNotLogged, 0), cause, total);
        }
    }

    /// <summary>
    /// The delivery loop's wake-up: a reusable <see cref="IValueTaskSource"/> armed by the loop (under the lock) before
    /// each wait and set at most once per arming (the waiting flag is cleared under the same lock). Continuations run
    /// asynchronously, so a producer never runs the handler on its own thread.
    /// </summary>
    private sealed class ReaderSignal : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public ValueTask Arm()
        {
            _core.Reset();
            return new ValueTask(this, _core.Version);
        }

        public void Set() => _core.SetResult(true);

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>A buffered message and the losses right before it, or (no buffer) a loss notice with its count.</summary>
    private readonly record struct Entry(byte[]? Buffer, int Length, long LostBefore, NoticeCount? Notice = null);

    /// <summary>The count of a queued loss notice; later reports add to it while it is the last entry.</summary>
    private sealed class NoticeCount
    {
        public long Value { get; set; }
    }
}
