using HydrateCache.TestKit;
using StackExchange.Redis;

namespace HydrateCache.Redis.Tests;

/// <summary>The transport conformance suite over RESP2 (a dedicated subscription connection per multiplexer).</summary>
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Transport")]
public class RedisTransportConformanceTests : ServerTransportConformanceTests
{
    // The documented default limit (RedisTransportOptions.MaxMessageBytes), set explicitly so the test states it.
    private const int TestMaxMessageBytes = 4 * 1024 * 1024;

    private readonly List<ConnectionMultiplexer> _multiplexers = [];

    protected override int MaxMessageBytes => TestMaxMessageBytes;

    protected override string ServiceName => "redis";

    protected virtual RedisProtocol Protocol => RedisProtocol.Resp2;

    protected override async ValueTask<ITransport> ConnectAsync()
    {
        var multiplexer = await RedisTestServer.ConnectAsync(Protocol);
        lock (_multiplexers)
        {
            _multiplexers.Add(multiplexer);
        }

        return new RedisTransport(multiplexer, new RedisTransportOptions { MaxMessageBytes = TestMaxMessageBytes });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();

        // The transports do not own their multiplexers: the test does.
        foreach (var multiplexer in _multiplexers)
        {
            await multiplexer.DisposeAsync();
        }
    }
}

/// <summary>The transport conformance suite over RESP3 (subscriptions share the one interactive connection).</summary>
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Transport")]
public class RedisTransportResp3ConformanceTests : RedisTransportConformanceTests
{
    protected override RedisProtocol Protocol => RedisProtocol.Resp3;
}
