namespace HydrateCache;

/// <summary>
/// A retry loop with exponential backoff and jitter, written once for every transport: a transport author runs the
/// attempt that re-establishes a failed subscription through <see cref="RetryAsync"/> and reports each failure.
/// </summary>
/// <remarks>
/// <para><b>Delays.</b> After the <c>n</c>-th consecutive failure (counting from 1) it waits a random time between half
/// and all of <c>min(InitialDelay × 2ⁿ⁻¹, MaxDelay)</c> (<see cref="TransportBackoffOptions"/>), on the injected
/// <see cref="TimeProvider"/>. A success resets the count, so the next failure starts over at the initial delay.</para>
/// <para><b>Threads.</b> One instance serves one retry loop at a time; it is not meant to be shared between loops.</para>
/// </remarks>
public sealed class TransportBackoff
{
    private readonly TimeSpan _initialDelay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _jitter;
    private int _failures;

    /// <summary>Initializes a new instance of the <see cref="TransportBackoff"/> class.</summary>
    /// <param name="options">The delays; defaults when <see langword="null"/>. Read once.</param>
    /// <param name="timeProvider">The clock the delays run on; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public TransportBackoff(TransportBackoffOptions? options = null, TimeProvider? timeProvider = null)
        : this(options, timeProvider, static () => Random.Shared.NextDouble())
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TransportBackoff"/> class with a jitter source (for tests).</summary>
    /// <param name="options">The delays; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="jitter">Returns a number in [0, 1): 0 waits half the delay, close to 1 all of it.</param>
    internal TransportBackoff(TransportBackoffOptions? options, TimeProvider? timeProvider, Func<double> jitter)
    {
        options ??= new TransportBackoffOptions();
        options.Validate(nameof(options));
        _initialDelay = options.InitialDelay;
        _maxDelay = options.MaxDelay;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _jitter = jitter;
    }

    /// <summary>Gets the number of consecutive failures since the last success (or since creation).</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Counts a failure and returns how long to wait before the next attempt.</summary>
    /// <returns>The delay, between half and all of the current exponential step.</returns>
    public TimeSpan NextDelay()
    {
        var failures = Interlocked.Increment(ref _failures);

        // 2^(failures-1), stopped long before a double loses precision or the cap is exceeded anyway.
        var step = _initialDelay.Ticks * Math.Pow(2, Math.Min(failures - 1, 40));
        var capped = Math.Min(step, _maxDelay.Ticks);
        var jitter = Math.Clamp(_jitter(), 0, 1);
        return TimeSpan.FromTicks((long)(capped * (0.5 + (0.5 * jitter))));
    }

    /// <summary>Forgets the failures: the next one waits the initial delay again.</summary>
    public void Reset() => Volatile.Write(ref _failures, 0);

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, waiting between failures. Each failure is reported to
    /// <paramref name="onFailure"/> with the number of consecutive failures and the delay before the next attempt; it
    /// returns <see langword="false"/> to stop retrying, which rethrows the failure.
    /// </summary>
    /// <typeparam name="T">The attempt's result.</typeparam>
    /// <param name="attempt">The attempt; it receives <paramref name="cancellationToken"/>.</param>
    /// <param name="onFailure">Called after each failed attempt (exception, consecutive failures, next delay); returns whether to retry.</param>
    /// <param name="cancellationToken">Ends the loop (also during a delay) with an <see cref="OperationCanceledException"/>.</param>
    /// <returns>The result of the first successful attempt.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<T> RetryAsync<T>(
        Func<CancellationToken, ValueTask<T>> attempt,
        Func<Exception, int, TimeSpan, bool> onFailure,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(onFailure);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan delay;
            try
            {
                var result = await attempt(cancellationToken).ConfigureAwait(false);
                Reset();
                return result;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                delay = NextDelay();
                if (!onFailure(ex, Failures, delay))
                {
                    throw;
                }
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
