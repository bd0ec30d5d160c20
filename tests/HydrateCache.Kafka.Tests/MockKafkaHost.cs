using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

/// <summary>
/// A private instance of tools/HydrateCache.KafkaMockHost (librdkafka's mock cluster), for tests that stop, restart or
/// take down their broker and so must not share the suite's server. Needs the host built in Release
/// (<c>dotnet build tools/HydrateCache.KafkaMockHost -c Release</c>, which <c>eng/services.sh</c> does); without it the
/// test is skipped locally and fails on CI.
/// </summary>
internal sealed class MockKafkaHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _bootstrapFile;
    private bool _disposed;

    private MockKafkaHost(Process process, string bootstrapFile, string bootstrapServers)
    {
        _process = process;
        _bootstrapFile = bootstrapFile;
        BootstrapServers = bootstrapServers;
    }

    public static string HostAssembly { get; } = Path.Combine(
        TestServers.RepositoryRoot, "tools", "HydrateCache.KafkaMockHost", "bin", "Release", "net10.0", "HydrateCache.KafkaMockHost.dll");

    public string BootstrapServers { get; }

    public int ProcessId => _process.Id;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<MockKafkaHost> StartAsync(int? port = null)
    {
        if (!File.Exists(HostAssembly))
        {
            TestServers.Unavailable($"The Kafka mock host is not built ({HostAssembly}): run `dotnet build tools/HydrateCache.KafkaMockHost -c Release`.");
        }

        var bootstrapFile = Path.Combine(Path.GetTempPath(), $"hc-kafka-test-{Guid.NewGuid():N}.bootstrap");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(HostAssembly);
        start.ArgumentList.Add("--bootstrap-file");
        start.ArgumentList.Add(bootstrapFile);
        if (port is { } p)
        {
            start.ArgumentList.Add("--port");
            start.ArgumentList.Add(p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(bootstrapFile))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                process.Kill();
                Assert.Fail($"The Kafka mock host did not start (exit code {(process.HasExited ? process.ExitCode : -1)}).");
            }

            await Task.Delay(20);
        }

        return new MockKafkaHost(process, bootstrapFile, File.ReadAllText(bootstrapFile).Trim());
    }

    /// <summary>Sends a POSIX signal (HUP: simulated broker restart; TERM: stop).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Stops the host with SIGTERM and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                await StopAsync();
            }
        }
        catch (TimeoutException)
        {
            _process.Kill();
        }

        _process.Dispose();
        File.Delete(_bootstrapFile);
    }
}
