using System.Net;
using System.Net.Sockets;
using HydrateCache.TestKit;
using StackExchange.Redis;

namespace HydrateCache.Redis.Tests;

/// <summary>Connections to the test Redis server (<c>HYDRATECACHE_REDIS</c> or <c>eng/services.sh</c>).</summary>
internal static class RedisTestServer
{
    /// <summary>Opens a new multiplexer to the test server with <paramref name="protocol"/>; skips locally / fails on CI without a server.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisProtocol protocol = RedisProtocol.Resp2, string? clientName = null, bool allowAdmin = false)
    {
        var endpoint = TestServers.RequireEndpoint(TestServers.Redis);
        var options = ConfigurationOptions.Parse(endpoint);
        options.Protocol = protocol;
        options.ClientName = clientName ?? $"hc-test-{Guid.NewGuid():N}";
        options.ConnectTimeout = 5000;
        options.AllowAdmin = allowAdmin;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>
    /// Opens a multiplexer to a loopback port where no Redis answers: <paramref name="silent"/> accepts TCP connections and
    /// never replies (a hung server); otherwise nothing listens (connection refused). Short timeouts keep the test fast.
    /// </summary>
    public static async Task<(ConnectionMultiplexer Multiplexer, IDisposable Listener)> ConnectUnreachableAsync(bool silent)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        if (!silent)
        {
            listener.Stop();
        }

        var options = new ConfigurationOptions
        {
            EndPoints = { { IPAddress.Loopback, port } },
            AbortOnConnectFail = false,
            ConnectTimeout = 500,
            SyncTimeout = 1000,
            AsyncTimeout = 1000,
            ConnectRetry = 1,
        };
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        return (multiplexer, listener);
    }

    /// <summary>Kills, on the server, every connection of the client named <paramref name="clientName"/>; <paramref name="admin"/> needs AllowAdmin.</summary>
    public static async Task<int> KillClientAsync(IConnectionMultiplexer admin, string clientName)
    {
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var killed = 0;
        foreach (var client in await server.ClientListAsync())
        {
            if (client.Name == clientName)
            {
                await server.ClientKillAsync(client.Id);
                killed++;
            }
        }

        return killed;
    }
}
