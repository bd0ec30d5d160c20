using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace HydrateCache.BurstHost;

/// <summary>
/// Samples this process's memory every 20 ms and keeps the peaks: RSS from the kernel's own high-water mark
/// (<c>VmHWM</c> of <c>/proc/self/status</c>; <see cref="Process.PeakWorkingSet64"/> elsewhere), and the managed heap as
/// the larger of <see cref="GC.GetTotalMemory(bool)"/> and the heap size right before the last collection.
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private long _peakGcHeap;

    public MemorySampler()
    {
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
    }

    public static bool ServerGc => GCSettings.IsServerGC;

    public long PeakGcHeapBytes
    {
        get
        {
            Sample();
            lock (_lock)
            {
                return _peakGcHeap;
            }
        }
    }

    public static long GcHeapBytes => GC.GetTotalMemory(false);

    public static long GcCommittedBytes => GC.GetGCMemoryInfo().TotalCommittedBytes;

    public static (long Rss, long PeakRss) ReadRss()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status))
        {
            using var process = Process.GetCurrentProcess();
            return (process.WorkingSet64, process.PeakWorkingSet64);
        }

        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines(Status))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ParseKiB(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = ParseKiB(line);
            }
        }

        return (rss, peak);
    }

    public void Dispose() => _timer.Dispose();

    private static long ParseKiB(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;

    private void Sample()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        long beforeLastGc = 0;
        foreach (var generation in info.GenerationInfo)
        {
            beforeLastGc += generation.SizeBeforeBytes;
        }

        var heap = Math.Max(GC.GetTotalMemory(false), beforeLastGc);
        lock (_lock)
        {
            _peakGcHeap = Math.Max(_peakGcHeap, heap);
        }
    }
}
