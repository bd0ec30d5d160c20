using System.Diagnostics;

namespace HydrateCache.TestKit;

/// <summary>
/// Where the real servers are. An endpoint comes from the environment variable <c>HYDRATECACHE_{NAME}</c>
/// (for example <c>HYDRATECACHE_REDIS</c>, set by you for <c>docker compose</c> servers), or else from the env file that
/// <c>eng/services.sh up</c> writes (<c>artifacts/services/services.env</c>).
/// A missing server skips the test on a developer machine and fails it on CI (<c>CI=true</c>): never a silent pass.
/// </summary>
public static class TestServers
{
    public const string Redis = "REDIS";
    public const string Nats = "NATS";
    public const string Postgres = "POSTGRES";
    public const string Kafka = "KAFKA";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> EnvFile = new(ReadEnvFile);

    /// <summary>Gets a value indicating whether the tests run on CI, where a missing server is a failure.</summary>
    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets the repository root (the folder that holds HydrateCache.Orleans.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Gets the endpoint of <paramref name="server"/>, or <see langword="null"/> when none is configured.</summary>
    public static string? GetEndpoint(string server)
    {
        var variable = "HYDRATECACHE_" + server;
        var fromEnvironment = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        return EnvFile.Value.TryGetValue(variable, out var fromFile) && !string.IsNullOrWhiteSpace(fromFile) ? fromFile : null;
    }

    /// <summary>Gets the endpoint of <paramref name="server"/>; skips the test locally, fails it on CI, when there is none.</summary>
    public static string RequireEndpoint(string server)
    {
        var endpoint = GetEndpoint(server);
        if (endpoint is null)
        {
            Unavailable($"No {server} server: set HYDRATECACHE_{server} or run `eng/services.sh up`.");
        }

        return endpoint!;
    }

    /// <summary>Skips the current test on a developer machine; fails it on CI.</summary>
    public static void Unavailable(string reason)
    {
        if (IsCI)
        {
            Assert.Fail(reason + " (CI=true: a missing server is a failure, not a skip)");
        }

        Assert.Skip(reason);
    }

    /// <summary>
    /// Restarts a server started by <c>eng/services.sh</c> (stop, then start on the same port) so tests can check that a
    /// transport resumes by itself. Servers configured by environment variable cannot be restarted from here.
    /// </summary>
    /// <param name="service">The service name of <c>eng/services.sh</c>: redis, nats, postgres or kafka.</param>
    public static async Task RestartAsync(string service)
    {
        var variable = "HYDRATECACHE_" + service.ToUpperInvariant();
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)) || !EnvFile.Value.ContainsKey(variable))
        {
            Unavailable($"The {service} server was not started by eng/services.sh, so it cannot be restarted by the tests.");
        }

        var script = Path.Combine(RepositoryRoot, "eng", "services.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, "restart", service])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        })!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            Assert.Fail($"eng/services.sh restart {service} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

    private static IReadOnlyDictionary<string, string> ReadEnvFile()
    {
        var path = Environment.GetEnvironmentVariable("HYDRATECACHE_SERVICES_ENV")
            ?? Path.Combine(RepositoryRoot, "artifacts", "services", "services.env");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }

        foreach (var line in File.ReadAllLines(path))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var separator = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (separator > 0)
            {
                var value = trimmed[(separator + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
                {
                    value = value[1..^1];
                }

                values[trimmed[..separator].Replace("export ", string.Empty, StringComparison.Ordinal).Trim()] = value;
            }
        }

        return values;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HydrateCache.Orleans.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
