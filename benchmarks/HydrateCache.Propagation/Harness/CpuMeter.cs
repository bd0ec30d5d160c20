using System.Diagnostics;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// CPU use over a window: this process (the harness with every node in it) and the whole machine (servers included,
/// from <c>/proc/stat</c> on Linux), in percent of all cores, to tell why a rate saturates.
/// </summary>
internal sealed class CpuMeter
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _processStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly (long Busy, long Total)? _machineStart = ReadMachine();

    /// <summary>Gets this process's CPU time since the meter started, in percent of all cores.</summary>
    public double ProcessPercent()
    {
        var wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _processStart).TotalSeconds;
        return wall > 0 ? 100 * cpu / (wall * Environment.ProcessorCount) : double.NaN;
    }

    /// <summary>Gets the machine's busy share since the meter started, in percent (NaN where /proc/stat is missing).</summary>
    public double MachinePercent()
    {
        var now = ReadMachine();
        if (now is null || _machineStart is null || now.Value.Total == _machineStart.Value.Total)
        {
            return double.NaN;
        }

        return 100.0 * (now.Value.Busy - _machineStart.Value.Busy) / (now.Value.Total - _machineStart.Value.Total);
    }

    private static (long Busy, long Total)? ReadMachine()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal ...
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
            var idle = fields[3] + fields[4];
            var total = fields.Sum();
            return (total - idle, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
