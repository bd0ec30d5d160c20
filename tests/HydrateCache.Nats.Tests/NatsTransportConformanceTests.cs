using HydrateCache.TestKit;
using NATS.Client.Core;

namespace HydrateCache.Nats;

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Transport")]
public class NatsTransportConformanceTests : ServerTransportConformanceTests
{
    private readonly List<NatsConnection> _connections = [];
    private int _maxPayload;

    /// <summary>The server's max_payload, read from the first connection (1 MiB for a default nats-server).</summary>
    protected override int MaxMessageBytes =>
        _maxPayload > 0 ? _maxPayload : throw new InvalidOperationException("MaxMessageBytes is known once a connection is open.");

    protected override string ServiceName => "nats";

    protected override async ValueTask<ITransport> ConnectAsync()
    {
        var connection = await NatsTestServer.ConnectAsync("hydratecache-conformance");
        _connections.Add(connection);
        _maxPayload = connection.ServerInfo!.MaxPayload;
        return new NatsTransport(connection);
    }

    public override async ValueTask DisposeAsync()
    {
        // Transports first (the base class), then the connections: the transports do not own them.
        await base.DisposeAsync();
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }
}
