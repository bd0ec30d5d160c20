using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace HydrateCache.TestKit;

/// <summary>
/// A private server (redis-server, nats-server or tools/HydrateCache.KafkaMockHost) that a test may crash and restart
/// without disturbing the suite's shared servers or any test running beside it. It listens on 127.0.0.1 on a port
/// outside the kernel's ephemeral range (so no outgoing connection takes the port while the server is down), and
/// <see cref="CrashAsync"/> / <see cref="RestartAsync"/> follow the recipe of docs/FAULTS.md: SIGKILL, wait until the
/// process is gone, then run the very same command line again on the same port. Nothing is persisted: a restarted
/// server is empty, as after a real crash.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private const int OutputLines = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ProcessStartInfo _command;
    private readonly Queue<string> _output = new();
    private readonly List<string> _temporaryFiles;
    private Process? _process;

    private ServerProcess(string server, int port, string address, ProcessStartInfo command, List<string> temporaryFiles)
    {
        Server = server;
        Port = port;
        Address = address;
        _command = command;
        _temporaryFiles = temporaryFiles;
    }

    /// <summary>Gets the <see cref="TestServers"/> name of the server: <see cref="TestServers.Redis"/>, <see cref="TestServers.Nats"/> or <see cref="TestServers.Kafka"/>.</summary>
    public string Server { get; }

    /// <summary>Gets the TCP port the server listens on, the same across restarts.</summary>
    public int Port { get; }

    /// <summary>Gets the address clients connect to, in the form the transport expects (<c>nats://127.0.0.1:PORT</c> for NATS, <c>127.0.0.1:PORT</c> otherwise).</summary>
    public string Address { get; }

    /// <summary>Gets the process id of the running server; it changes with every restart.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException($"The {Server} server is not running.");

    /// <summary>Gets how many times <see cref="CrashAsync"/> killed the server.</summary>
    public int Crashes { get; private set; }

    /// <summary>
    /// Tells why a private <paramref name="server"/> cannot be started here (its program is missing), or returns
    /// <see langword="null"/> when it can. <c>eng/services.sh up</c> installs the programs and builds the Kafka mock host.
    /// </summary>
    /// <param name="server">A <see cref="TestServers"/> name: <see cref="TestServers.Redis"/>, <see cref="TestServers.Nats"/> or <see cref="TestServers.Kafka"/>.</param>
    public static string? WhyUnavailable(string server) => server switch
    {
        TestServers.Redis => FindProgram("redis-server") is null ? "redis-server is not installed: run `eng/services.sh up redis`." : null,
        TestServers.Nats => FindProgram("nats-server") is null ? "nats-server is not installed: run `eng/services.sh up nats`." : null,
        TestServers.Kafka => !File.Exists(KafkaMockHostAssembly)
            ? $"The Kafka mock host is not built ({KafkaMockHostAssembly}): run `eng/services.sh up kafka`."
            : FindProgram("dotnet") is null ? "dotnet is not on PATH (it runs the Kafka mock host)." : null,
        _ => throw new ArgumentOutOfRangeException(nameof(server), server, "Only Redis, NATS and Kafka servers can run privately."),
    };

    /// <summary>Starts a private <paramref name="server"/> and waits until it accepts connections; check <see cref="WhyUnavailable"/> first.</summary>
    /// <param name="server">A <see cref="TestServers"/> name: <see cref="TestServers.Redis"/>, <see cref="TestServers.Nats"/> or <see cref="TestServers.Kafka"/>.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    public static async Task<ServerProcess> StartAsync(string server)
    {
        if (WhyUnavailable(server) is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var port = FreePort();
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var temporaryFiles = new List<string>();
        var (command, address) = server switch
        {
            // No persistence (--save '' --appendonly no), log to stdout.
            TestServers.Redis => (Command(FindProgram("redis-server")!, "--bind", "127.0.0.1", "--port", portText, "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--logfile", string.Empty), $"127.0.0.1:{portText}"),
            TestServers.Nats => (Command(FindProgram("nats-server")!, "-a", "127.0.0.1", "-p", portText), $"nats://127.0.0.1:{portText}"),
            _ => (Command(FindProgram("dotnet")!, KafkaMockHostAssembly, "--bootstrap-file", Track(temporaryFiles, Path.Combine(Path.GetTempPath(), $"hc-kafka-{Guid.NewGuid():N}.bootstrap")), "--port", portText), $"127.0.0.1:{portText}"),
        };

        var process = new ServerProcess(server, port, address, command, temporaryFiles);
        try
        {
            await process.LaunchAsync();
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }

    /// <summary>
    /// Kills the server with SIGKILL (no shutdown, no goodbye to its clients), waits until the process is gone and
    /// proves it: the process reports death by signal 9. The port stays free until <see cref="RestartAsync"/>.
    /// </summary>
    /// <returns>The id of the killed process.</returns>
    public async Task<int> CrashAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"The {Server} server is not running.");
        var pid = process.Id;
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // .NET reports a process ended by a signal as 128 + the signal number.
        Assert.True(process.HasExited, $"the {Server} server (pid {pid}) survived SIGKILL");
        Assert.Equal(128 + 9, process.ExitCode);
        Assert.False(Directory.Exists($"/proc/{pid}") && !IsZombie(pid), $"pid {pid} is still alive after SIGKILL");
        process.Dispose();
        _process = null;
        Crashes++;
        return pid;
    }

    /// <summary>Starts the same command line again, on the same port, and waits until the server accepts connections.</summary>
    /// <returns>The id of the new process.</returns>
    public async Task<int> RestartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException($"The {Server} server is still running (pid {_process.Id}): crash it first.");
        }

        await LaunchAsync();
        return ProcessId;
    }

    /// <summary>Gets the server's last lines of output, for a failure message.</summary>
    public string RecentOutput()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
        }

        foreach (var file in _temporaryFiles)
        {
            File.Delete(file);
        }
    }

    /// <summary>Gets the path of tools/HydrateCache.KafkaMockHost as <c>eng/services.sh</c> builds it (Release).</summary>
    public static string KafkaMockHostAssembly { get; } = Path.Combine(
        TestServers.RepositoryRoot, "tools", "HydrateCache.KafkaMockHost", "bin", "Release", "net10.0", "HydrateCache.KafkaMockHost.dll");

    private async Task LaunchAsync()
    {
        var process = Process.Start(_command) ?? throw new InvalidOperationException($"Could not start {_command.FileName}.");
        _process = process;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await AcceptsConnectionsAsync(Port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The private {Server} server did not listen on 127.0.0.1:{Port} within {StartTimeout} " +
                    $"(exited: {process.HasExited}). Its output:{Environment.NewLine}{RecentOutput()}");
            }

            await Task.Delay(20);
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Picks a free port in 20000–60000 outside the kernel's ephemeral range (like <c>eng/services.sh</c>): a port the
    /// kernel may hand to an outgoing connection could be taken while the server is down and block its restart.
    /// </summary>
    private static int FreePort()
    {
        var (low, high) = (20_000, 60_000);
        var range = File.Exists("/proc/sys/net/ipv4/ip_local_port_range")
            ? File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            : [];
        if (range.Length == 2 && int.TryParse(range[0], CultureInfo.InvariantCulture, out var ephemeralLow) && int.TryParse(range[1], CultureInfo.InvariantCulture, out var ephemeralHigh))
        {
            if (ephemeralLow > low + 1000)
            {
                high = Math.Min(high, ephemeralLow - 1);
            }
            else if (ephemeralHigh < high - 1000)
            {
                low = Math.Max(low, ephemeralHigh + 1);
            }
        }

        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(low, high + 1);
            try
            {
                using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"No free TCP port in {low}-{high}.");
    }

    private static ProcessStartInfo Command(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static string Track(List<string> files, string file)
    {
        files.Add(file);
        return file;
    }

    private static string? FindProgram(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is "Z" or "X";
        }
        catch (IOException)
        {
            return true;
        }
    }
}
