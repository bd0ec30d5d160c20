using System.Diagnostics;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// Spin-paced schedule of a fixed rate (Task.Delay cannot resolve sub-millisecond intervals). Every mode paces its
/// publisher with it, so the variants of one comparison see the same rate pattern. A rate of 0 means unpaced.
/// The schedule is absolute: a publisher that falls behind catches up without pausing (an open-loop rate).
/// </summary>
internal sealed class Pacer
{
    private readonly long _ticksPerMessage;
    private long _next;

    public Pacer(double ratePerSecond)
    {
        _ticksPerMessage = ratePerSecond > 0 ? (long)(Stopwatch.Frequency / ratePerSecond) : 0;
        _next = Stopwatch.GetTimestamp();
    }

    public static Pacer FromInterval(TimeSpan interval) => new(interval > TimeSpan.Zero ? 1 / interval.TotalSeconds : 0);

    /// <summary>Waits for the next slot.</summary>
    public void WaitNext()
    {
        if (_ticksPerMessage == 0)
        {
            return;
        }

        while (Stopwatch.GetTimestamp() < _next)
        {
            Thread.SpinWait(20);
        }

        _next += _ticksPerMessage;
    }
}
