using System.Globalization;
using System.Runtime.InteropServices;

namespace HydrateCache.KafkaMockHost;

/// <summary>
/// Runs a librdkafka mock cluster until SIGTERM/SIGINT so tests in other processes can use the Kafka protocol.
/// </summary>
/// <remarks>
/// <para>Usage: <c>HydrateCache.KafkaMockHost --bootstrap-file PATH [--port PORT] [--brokers N]</c>.</para>
/// <list type="bullet">
/// <item><description>Starts N (default 1) mock brokers, sets the group initial rebalance delay to 0 and, when ready,
/// writes the bootstrap list (<c>127.0.0.1:PORT</c> for one broker) to PATH (temp file + rename).</description></item>
/// <item><description><c>--port PORT</c>: the address stays the same across restarts of the host. The mock always
/// listens on ephemeral ports, so the host proxies 127.0.0.1:PORT (PORT+1, ... for more brokers) to them and makes the
/// brokers advertise those ports in metadata: clients only ever see the stable addresses.</description></item>
/// <item><description>SIGHUP simulates a broker restart: every broker goes down (connections closed, listener stopped),
/// then comes back up on the same port about 2 s later. Topics and messages survive.</description></item>
/// <item><description>SIGTERM/SIGINT: destroys the cluster, deletes the bootstrap file and exits 0.</description></item>
/// </list>
/// <para>Exit codes: 0 after a signal, 2 for bad arguments, 1 when the cluster could not start.</para>
/// </remarks>
internal static class Program
{
    private static readonly TimeSpan DownTime = TimeSpan.FromSeconds(2);

    private static int Main(string[] args)
    {
        if (!TryParse(args, out var bootstrapFile, out var port, out var brokerCount, out var error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine("usage: HydrateCache.KafkaMockHost --bootstrap-file PATH [--port PORT] [--brokers N]");
            return 2;
        }

        try
        {
            var code = Run(bootstrapFile, port, brokerCount);
            Log("mock cluster destroyed; exiting");
            return code;
        }
        catch (InvalidOperationException ex)
        {
            Log("failed: " + ex.Message);
            return 1;
        }
        catch (Exception ex)
        {
            Log("failed: " + ex);
            return 1;
        }
    }

    internal static void Log(string message) =>
        Console.Out.WriteLine($"{DateTimeOffset.Now:yyyy-MM-dd HH:mm:ss.fff} kafka-mock[{Environment.ProcessId}] {message}");

    private static int Run(string bootstrapFile, int? port, int brokerCount)
    {
        var (library, version) = LibRdKafka.Load();
        Log($"librdkafka {version} from {library}");

        using var cluster = MockCluster.Start(brokerCount);
        var forwarders = new List<TcpForwarder>();
        string bootstraps;
        try
        {
            if (port is { } basePort)
            {
                foreach (var (id, brokerPort) in cluster.Brokers)
                {
                    var forwarder = new TcpForwarder(basePort + id - 1, brokerPort);
                    forwarder.Start();
                    forwarders.Add(forwarder);
                    cluster.Advertise(id, "127.0.0.1", forwarder.ListenPort);
                    Log($"broker {id}: listening on 127.0.0.1:{brokerPort}, advertised as 127.0.0.1:{forwarder.ListenPort} (forwarded)");
                }

                bootstraps = string.Join(',', forwarders.Select(f => "127.0.0.1:" + f.ListenPort.ToString(CultureInfo.InvariantCulture)));
            }
            else
            {
                foreach (var (id, brokerPort) in cluster.Brokers)
                {
                    Log($"broker {id}: listening on 127.0.0.1:{brokerPort}");
                }

                bootstraps = string.Join(',', cluster.Brokers.Select(b => "127.0.0.1:" + b.Port.ToString(CultureInfo.InvariantCulture)));
            }

            return Serve(cluster, bootstrapFile, bootstraps);
        }
        finally
        {
            foreach (var forwarder in forwarders)
            {
                forwarder.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    private static int Serve(MockCluster cluster, string bootstrapFile, string bootstraps)
    {
        using var stop = new ManualResetEventSlim();
        var restartRequests = 0;
        using var restartSignal = new SemaphoreSlim(0);

        void OnStop(PosixSignalContext context)
        {
            context.Cancel = true;
            Log($"{context.Signal} received: stopping");
            stop.Set();
        }

        void OnHangUp(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.CompareExchange(ref restartRequests, 1, 0) == 0)
            {
                restartSignal.Release();
            }
            else
            {
                Log("SIGHUP received while a simulated restart is in progress: ignored");
            }
        }

        // `nohup` (and some service launchers) start the host with SIGHUP ignored, and .NET does not handle an ignored
        // signal: restore the default disposition first so the registration below takes effect.
        LibC.RestoreDefaultDisposition(LibC.SigHup);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStop);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangUp);

        WriteAtomically(bootstrapFile, bootstraps);
        Log($"ready: bootstrap {bootstraps} written to {bootstrapFile}");

        using var stopping = new CancellationTokenSource();
        var restarts = Task.Run(async () =>
        {
            while (true)
            {
                await restartSignal.WaitAsync(stopping.Token).ConfigureAwait(false);
                try
                {
                    Log("SIGHUP received: taking every broker down");
                    cluster.SetBrokersUp(false);
                    await Task.Delay(DownTime, stopping.Token).ConfigureAwait(false);
                    cluster.SetBrokersUp(true);
                    Log("brokers are up again");
                }
                catch (InvalidOperationException ex)
                {
                    Log("simulated restart failed: " + ex.Message);
                }
                finally
                {
                    Volatile.Write(ref restartRequests, 0);
                }
            }
        });

        stop.Wait();
        stopping.Cancel();
        restarts.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        TryDelete(bootstrapFile, bootstraps);
        return 0;
    }

    private static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(temp, content + "\n");
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Deletes the bootstrap file unless a newer host instance has replaced it already.</summary>
    private static void TryDelete(string path, string content)
    {
        try
        {
            if (File.Exists(path) && string.Equals(File.ReadAllText(path).Trim(), content, StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }
        catch (IOException ex)
        {
            Log("could not delete the bootstrap file: " + ex.Message);
        }
    }

    private static bool TryParse(string[] args, out string bootstrapFile, out int? port, out int brokerCount, out string error)
    {
        bootstrapFile = string.Empty;
        port = null;
        brokerCount = 1;
        error = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--bootstrap-file" when value is not null:
                    bootstrapFile = value;
                    i++;
                    break;
                case "--port" when value is not null:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                    {
                        error = $"--port: '{value}' is not a TCP port";
                        return false;
                    }

                    port = p;
                    i++;
                    break;
                case "--brokers" when value is not null:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out brokerCount) || brokerCount is < 1 or > 16)
                    {
                        error = $"--brokers: '{value}' is not a number from 1 to 16";
                        return false;
                    }

                    i++;
                    break;
                default:
                    error = $"unknown or incomplete argument '{args[i]}'";
                    return false;
            }
        }

        if (bootstrapFile.Length == 0)
        {
            error = "--bootstrap-file is required";
            return false;
        }

        if (port + brokerCount - 1 > 65535)
        {
            error = "--port: the forwarded ports PORT..PORT+N-1 must be valid TCP ports";
            return false;
        }

        return true;
    }
}
