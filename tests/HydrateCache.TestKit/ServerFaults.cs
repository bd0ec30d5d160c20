using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace HydrateCache.TestKit;

/// <summary>
/// Crashes a server that <c>eng/services.sh</c> started and brings it back on the same port, as in
/// <c>docs/FAULTS.md</c> ("Crash a server and bring it back on the same port"): SIGKILL, a chosen outage, then the
/// same command line started again, detached. Only for servers whose <c>/proc/PID/cmdline</c> is their real command
/// line (nats-server; not redis-server, which rewrites its process title). Servers configured by environment variable
/// cannot be crashed from here: the test is skipped locally and fails on CI.
/// </summary>
public static class ServerFaults
{
    /// <summary>Kills the server with SIGKILL, keeps it down for <paramref name="outage"/>, and starts it again.</summary>
    /// <param name="service">The <c>eng/services.sh</c> service name, for example "nats".</param>
    /// <param name="port">The TCP port it listens on, waited for after the restart.</param>
    /// <param name="outage">How long the server stays down.</param>
    /// <param name="whileDown">Runs while the server is down (after it is gone, before it is started again), for example to publish.</param>
    /// <returns>The PID that was killed and the PID of the new process.</returns>
    public static async Task<(int KilledPid, int NewPid)> CrashAndRestartAsync(string service, int port, TimeSpan outage, Func<Task>? whileDown = null)
    {
        var variable = "HYDRATECACHE_" + service.ToUpperInvariant();
        var pidFile = Path.Combine(TestServers.RepositoryRoot, "artifacts", "services", service + ".pid");
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)) || !File.Exists(pidFile))
        {
            TestServers.Unavailable($"The {service} server was not started by eng/services.sh (or {variable} is set), so the tests cannot crash it.");
        }

        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(argv);

        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (IsAlive(pid))
        {
            Assert.True(DateTime.UtcNow < deadline, $"pid {pid} ({service}) survived SIGKILL for 30 s");
            await Task.Delay(20);
        }

        var down = Stopwatch.StartNew();
        if (whileDown is not null)
        {
            await whileDown();
        }

        var rest = outage - down.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }

        var command = string.Join(' ', argv.Select(Quote)) + " </dev/null >/dev/null 2>&1 & echo $!";
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        })!;
        shell.StandardInput.Close();
        var newPid = int.Parse((await shell.StandardOutput.ReadToEndAsync()).Trim(), CultureInfo.InvariantCulture);
        await shell.WaitForExitAsync();
        await File.WriteAllTextAsync(pidFile, newPid.ToString(CultureInfo.InvariantCulture) + "\n");

        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await IsListeningAsync(port))
        {
            Assert.True(IsAlive(newPid), $"the restarted {service} (pid {newPid}) exited");
            Assert.True(DateTime.UtcNow < deadline, $"the restarted {service} does not listen on port {port} after 30 s");
            await Task.Delay(20);
        }

        return (pid, newPid);
    }

    /// <summary>True when the process exists and is not a zombie (PID 1 may reap late).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
