using HydrateCache.TestKit;
using NATS.Client.Core;

namespace HydrateCache.Nats;

/// <summary>Opens connections to the NATS server of <see cref="TestServers.Nats"/> (skips locally, fails on CI, when there is none).</summary>
internal static class NatsTestServer
{
    public static NatsOpts Options(string name) => new()
    {
        Url = TestServers.RequireEndpoint(TestServers.Nats),
        Name = name,
        ConnectTimeout = TimeSpan.FromSeconds(5),

        // Reconnect fast, so the restart and reconnect tests do not wait for the 2 s default back-off.
        ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
        ReconnectWaitMax = TimeSpan.FromSeconds(1),
        ReconnectJitter = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>A new, connected connection (to <paramref name="url"/>, else the shared server). The caller disposes it: transports never do.</summary>
    public static async Task<NatsConnection> ConnectAsync(string name = "hydratecache-tests", string? url = null)
    {
        var connection = new NatsConnection(url is null ? Options(name) : Options(name) with { Url = url });
        try
        {
            await connection.ConnectAsync();
        }
        catch (NatsException ex)
        {
            await connection.DisposeAsync();
            TestServers.Unavailable($"The NATS server at {connection.Opts.Url} does not answer: {ex.Message}");
        }

        return connection;
    }

    /// <summary>A connection object that never connects (for argument validation that must not need a server).</summary>
    public static NatsConnection Unconnected() => new(new NatsOpts { Url = "nats://127.0.0.1:1", Name = "hydratecache-unconnected" });
}
