using System.Net;
using System.Net.Sockets;

namespace HydrateCache.KafkaMockHost;

/// <summary>
/// Listens on a fixed 127.0.0.1 port and proxies every connection to a mock broker's ephemeral port, so clients see
/// the same broker address across restarts of the host. A connection is closed as soon as either side closes it; when
/// the broker is down the client's connection is accepted and closed at once, which clients treat like a refused one.
/// </summary>
internal sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    public TcpForwarder(int listenPort, int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT as well, which would let a second host share the port.
        // .NET already sets SO_REUSEADDR on Unix, so a restarted host can rebind while old connections are in TIME_WAIT.
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        ListenPort = listenPort;
    }

    public int ListenPort { get; }

    public void Start()
    {
        try
        {
            _listener.Start(backlog: 64);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new InvalidOperationException($"127.0.0.1:{ListenPort} is already in use (another mock host, or another service?).", ex);
        }

        _accepting = AcceptLoopAsync(_stopping.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                Program.Log($"forwarder :{ListenPort}: accept failed: {ex.SocketErrorCode}");
                continue;
            }

            var connection = ForwardAsync(client, cancellationToken);
            lock (_lock)
            {
                _connections.Add(connection);
            }

            _ = connection.ContinueWith(
                t =>
                {
                    lock (_lock)
                    {
                        _connections.Remove(t);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var clientSocket = client;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        clientSocket.NoDelay = true;
        upstream.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _upstreamPort), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            // The broker is down (or the host is stopping): drop the client like a refused connection.
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = PumpAsync(clientSocket, upstream, linked.Token);
        var down = PumpAsync(upstream, clientSocket, linked.Token);
        await Task.WhenAny(up, down).ConfigureAwait(false);
        await linked.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(up, down).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away: the caller closes both sockets.
        }
    }
}
