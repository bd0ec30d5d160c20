using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HydrateCache.BurstHost;
using HydrateCache.TestKit;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// The burst of the README's "Memory" section: updates of 1 KiB over 10,000 keys, published as fast as a private Redis
/// accepts them to 3 silos that run as separate processes (tests/HydrateCache.BurstHost), every bound at its default.
/// Every silo's peak RSS and peak GC heap must stay under the stated bounds, every silo must end up holding the
/// publisher's final version of every key, and whatever was dropped on the way must have been counted.
/// 1,000,000 updates by default (about a minute on 2 cores); <c>HYDRATECACHE_BURST_UPDATES</c> sets another count. Runs alone (no other test class beside it): it needs both cores.
/// </summary>
[Collection(nameof(BurstMemoryTests))]
[CollectionDefinition(nameof(BurstMemoryTests), DisableParallelization = true)]
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Memory")]
public sealed class BurstMemoryTests
{
    private const double MiB = 1024 * 1024;

    /// <summary>The bound on each silo's peak resident set (VmHWM), asserted; README "Memory".</summary>
    private const long MaxPeakRssBytes = 1024L * 1024 * 1024;

    /// <summary>The bound on each silo's peak managed heap (garbage included), asserted; README "Memory".</summary>
    private const long MaxPeakGcHeapBytes = 896L * 1024 * 1024;

    [Fact]
    public async Task Burst_ThreeSiloProcesses_StayUnderMemoryBounds_CountDrops_AndConverge()
    {
        if (ServerProcess.WhyUnavailable(TestServers.Redis) is { } why)
        {
            TestServers.Unavailable(why);
        }

        var updates = long.Parse(Environment.GetEnvironmentVariable("HYDRATECACHE_BURST_UPDATES") ?? "1000000", CultureInfo.InvariantCulture);
        await using var redis = await ServerProcess.StartAsync(TestServers.Redis);
        var reportPath = Path.Combine(Path.GetTempPath(), $"hydratecache-burst-{Guid.NewGuid():N}.json");
        var output = new List<string>();
        var started = Stopwatch.GetTimestamp();

        var exitCode = await RunBurstAsync(["run", "--transport", "redis", "--endpoint", redis.Address, "--updates", updates.ToString(CultureInfo.InvariantCulture),
            "--keys", "10000", "--value-bytes", "1024", "--silos", "3", "--report", reportPath], output);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.True(File.Exists(reportPath), $"the burst wrote no report (exit code {exitCode}):\n{string.Join('\n', output.TakeLast(60))}");
        var report = JsonSerializer.Deserialize<BurstReport>(await File.ReadAllTextAsync(reportPath, TestContext.Current.CancellationToken))!;
        File.Delete(reportPath);

        Console.WriteLine($"Burst of {report.Updates:N0} updates on {report.Transport}: published in {report.PublishSeconds:F1} s, " +
            $"converged {report.ConvergeSeconds:F1} s after the last publish, run {elapsed.TotalSeconds:F1} s; publisher retransmitted {report.Publisher!.Retransmitted}, {report.Publisher.FailedPublishes} publishes failed and were written again");
        foreach (var silo in report.Silos)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"silo {silo.Silo}: peak RSS {silo.PeakRssBytes / MiB:F0} MiB, peak GC heap {silo.PeakGcHeapBytes / MiB:F0} MiB, peak in flight {silo.PeakInFlightBytes / MiB:F1} MiB, " +
                $"received {silo.Received}, transport loss {silo.TransportLoss}, transport dropped {silo.TransportDropped}, recovered {silo.Recovered}, unrecovered {silo.Unrecovered}, " +
                $"retransmit requests {silo.RetransmitRequests}, repaired {silo.Repaired}, gaps {silo.Gaps}, disconnects {silo.Disconnects}"));
        }

        Assert.True(report.Converged, $"not every silo held the publisher's final version of every key:\n{string.Join('\n', output.TakeLast(60))}");
        Assert.Equal(3, report.Silos.Count);
        foreach (var silo in report.Silos)
        {
            Assert.Equal(report.Publisher.Digest, silo.Digest);
            Assert.True(silo.PeakRssBytes < MaxPeakRssBytes, $"silo {silo.Silo}: peak RSS {silo.PeakRssBytes / MiB:F0} MiB, bound {MaxPeakRssBytes / MiB:F0} MiB");
            Assert.True(silo.PeakGcHeapBytes < MaxPeakGcHeapBytes, $"silo {silo.Silo}: peak GC heap {silo.PeakGcHeapBytes / MiB:F0} MiB, bound {MaxPeakGcHeapBytes / MiB:F0} MiB");

            // The Orleans stage holds at most its byte budget (one frame is 1 KiB here, so no single frame exceeds it).
            Assert.InRange(silo.PeakInFlightBytes, 1, silo.MaxInFlightBytes);

            // Never a silent loss: every update is received, or its loss is counted. What the silo's own buffers dropped
            // the transport reports in band (TransportLoss); retransmissions arrive as extra messages, so received + lost
            // covers at least every publish. Only a broker that disconnected the subscriber (Redis past its
            // client-output-buffer-limit) loses what no client can count: then loss recovery finds the sequence gaps.
            var counted = silo.Received + silo.TransportLoss;
            if (silo.Disconnects == 0)
            {
                Assert.True(counted >= report.Updates, $"silo {silo.Silo}: received {silo.Received} + counted lost {silo.TransportLoss} < {report.Updates} published, without a disconnect");
            }
            else
            {
                Assert.True(
                    counted + silo.Gaps >= report.Updates,
                    $"silo {silo.Silo}: received {silo.Received} + counted lost {silo.TransportLoss} + gaps {silo.Gaps} < {report.Updates} published ({silo.Disconnects} disconnects)");
            }

            // What the channel counted as lost, the transport dropped (its count also holds drops on the control topic).
            Assert.True(silo.TransportLoss <= silo.TransportDropped, $"silo {silo.Silo}: counted lost {silo.TransportLoss} > dropped by the transport {silo.TransportDropped}");
        }
    }

    /// <summary>Runs the burst host (built next to this test project, same configuration) and collects its output.</summary>
    private static async Task<int> RunBurstAsync(string[] arguments, List<string> output)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var host = Path.Combine(TestServers.RepositoryRoot, "tests", "HydrateCache.BurstHost", "bin", configuration, "net10.0", "HydrateCache.BurstHost.dll");
        Assert.True(File.Exists(host), $"The burst host is not built: {host}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(host);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = info };
        void Collect(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.Add(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Collect(e.Data);
        process.ErrorDataReceived += (_, e) => Collect(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(15), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return process.ExitCode;
    }
}
