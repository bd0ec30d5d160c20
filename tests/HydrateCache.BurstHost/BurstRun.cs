using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using HydrateCache.Samples;

namespace HydrateCache.BurstHost;

/// <summary>
/// One burst run: starts the silo processes (the first is the primary of localhost clustering), waits until they are
/// up, starts the publisher, waits until every silo's cache holds every final version (compared by digest of key,
/// version and sender), stops everything, and writes the <see cref="BurstReport"/> (to <c>--report</c>, and stdout).
/// </summary>
internal static class BurstRun
{
    public static async Task<int> RunAsync(BurstArgs args)
    {
        var started = Stopwatch.GetTimestamp();
        var transport = args.Get("--transport") ?? "redis";
        string? endpoint;
        await using (var choice = TransportChoice.Create(transport, args.Get("--endpoint")))
        {
            endpoint = choice.Endpoint;
        }

        var siloCount = args.Int("--silos", 3);
        var updates = args.Long("--updates", 1_000_000);
        var keys = args.Int("--keys", 10_000);
        var valueBytes = args.Int("--value-bytes", 1024);
        var convergeTimeout = TimeSpan.FromSeconds(args.Int("--converge-timeout-s", 120));
        var prefix = $"burst-{Guid.NewGuid():N}.";
        string[] common = ["--transport", transport, "--endpoint", endpoint ?? string.Empty, "--topic-prefix", prefix];

        var ports = Enumerable.Range(0, siloCount).Select(_ => (Silo: FreePort(), Gateway: FreePort())).ToArray();
        var silos = new List<Child>();
        Child? publisher = null;
        try
        {
            for (var i = 0; i < siloCount; i++)
            {
                silos.Add(Child.Start($"silo {i}", [
                    "silo", .. common, "--index", i.ToString(CultureInfo.InvariantCulture),
                    "--silo-port", ports[i].Silo.ToString(CultureInfo.InvariantCulture),
                    "--gateway-port", ports[i].Gateway.ToString(CultureInfo.InvariantCulture),
                    "--primary-port", ports[0].Silo.ToString(CultureInfo.InvariantCulture)]));
                if (i == 0)
                {
                    // The others join through the primary: it must be up first.
                    await silos[0].Ready.WaitAsync(TimeSpan.FromSeconds(60));
                }
            }

            await Task.WhenAll(silos.Select(s => s.Ready)).WaitAsync(TimeSpan.FromSeconds(90));
            Log($"{siloCount} silos up after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s; publishing {updates:N0} updates of {valueBytes} bytes over {keys:N0} keys on {transport}");

            publisher = Child.Start("publisher", [
                "publish", .. common, "--updates", updates.ToString(CultureInfo.InvariantCulture),
                "--keys", keys.ToString(CultureInfo.InvariantCulture), "--value-bytes", valueBytes.ToString(CultureInfo.InvariantCulture)]);
            var published = await publisher.Published.WaitAsync(TimeSpan.FromMinutes(20));
            var publishedAt = Stopwatch.GetTimestamp();
            Log($"published in {published.PublishSeconds:F1} s ({updates / published.PublishSeconds:N0}/s); waiting for every silo to hold digest {published.Digest}");

            var converged = false;
            while (Stopwatch.GetElapsedTime(publishedAt) < convergeTimeout)
            {
                if (silos.All(s => s.Latest is { } report && report.Digest == published.Digest && report.Keys == keys))
                {
                    converged = true;
                    break;
                }

                await Task.Delay(50);
            }

            var convergeSeconds = converged ? Stopwatch.GetElapsedTime(publishedAt).TotalSeconds : -1;
            Log(converged ? $"converged {convergeSeconds:F1} s after the last publish" : $"NOT converged {convergeTimeout.TotalSeconds:F0} s after the last publish");

            // Stop the silos (each writes its final report), then the publisher.
            foreach (var silo in silos)
            {
                silo.CloseInput();
            }

            await Task.WhenAll(silos.Select(s => s.Exited.WaitAsync(TimeSpan.FromSeconds(30))));
            publisher.CloseInput();
            await publisher.Exited.WaitAsync(TimeSpan.FromSeconds(30));

            var report = new BurstReport
            {
                Transport = transport,
                Updates = updates,
                Keys = keys,
                ValueBytes = valueBytes,
                PublishSeconds = published.PublishSeconds,
                Converged = converged,
                ConvergeSeconds = convergeSeconds,
                RunSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
                Publisher = publisher.FinalPublisher ?? published,
                Silos = [.. silos.Select(s => s.Latest!)],
            };
            var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
            if (args.Get("--report") is { } path)
            {
                await File.WriteAllTextAsync(path, json);
            }

            Console.Out.WriteLine(json);
            PrintTable(report);
            return converged ? 0 : 1;
        }
        finally
        {
            foreach (var child in silos.Append(publisher))
            {
                child?.Dispose();
            }
        }
    }

    private static void PrintTable(BurstReport report)
    {
        const double MiB = 1024 * 1024;
        Console.Out.WriteLine("silo  peak RSS MiB  peak GC heap MiB  peak in-flight MiB  received  transport loss  transport dropped  gaps  disconnects  recovered  unrecovered  repaired  keys");
        foreach (var s in report.Silos)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Silo,4}  {s.PeakRssBytes / MiB,12:F1}  {s.PeakGcHeapBytes / MiB,16:F1}  {s.PeakInFlightBytes / MiB,18:F1}  {s.Received,8}  {s.TransportLoss,14}  {s.TransportDropped,17}  {s.Gaps,4}  {s.Disconnects,11}  {s.Recovered,9}  {s.Unrecovered,11}  {s.Repaired,8}  {s.Keys,4}"));
        }
    }

    private static void Log(string message) => Console.Error.WriteLine($"[burst] {message}");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A child process of the run (this same program in another mode), read line by line.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly string _name;
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<PublisherReport> _published = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private Child(string name, Process process)
        {
            _name = name;
            _process = process;
        }

        public Task Ready => _ready.Task;

        public Task<PublisherReport> Published => _published.Task;

        public Task Exited => _exited.Task;

        public SiloReport? Latest { get; private set; }

        public PublisherReport? FinalPublisher { get; private set; }

        public static Child Start(string name, string[] arguments)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(typeof(BurstRun).Assembly.Location);
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var child = new Child(name, new Process { StartInfo = info, EnableRaisingEvents = true });
            child._process.OutputDataReceived += (_, e) => child.OnOutput(e.Data);
            child._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine($"[{name}] {e.Data}");
                }
            };
            child._process.Start();
            child._process.BeginOutputReadLine();
            child._process.BeginErrorReadLine();
            return child;
        }

        public void CloseInput() => _process.StandardInput.Close();

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private void OnOutput(string? line)
        {
            if (line is null)
            {
                var failure = new InvalidOperationException($"The {_name} process ended (exit code {(_process.HasExited ? _process.ExitCode : -1)}).");
                _ready.TrySetException(failure);
                _published.TrySetException(failure);
                _exited.TrySetResult();
                return;
            }

            if (line == BurstProtocol.Ready)
            {
                _ready.TrySetResult();
            }
            else if (line.StartsWith(BurstProtocol.Silo, StringComparison.Ordinal))
            {
                Latest = BurstProtocol.Read<SiloReport>(line, BurstProtocol.Silo);
            }
            else if (line.StartsWith(BurstProtocol.Published, StringComparison.Ordinal))
            {
                _published.TrySetResult(BurstProtocol.Read<PublisherReport>(line, BurstProtocol.Published));
            }
            else if (line.StartsWith(BurstProtocol.Publisher, StringComparison.Ordinal))
            {
                FinalPublisher = BurstProtocol.Read<PublisherReport>(line, BurstProtocol.Publisher);
            }
        }
    }
}
