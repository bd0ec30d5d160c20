using HydrateCache.TestKit;
using Npgsql;

namespace HydrateCache.Postgres.Tests;

[TestSuite("Functional"), TestProvider("Postgres"), TestArea("Transport")]
public class PostgresTransportConformanceTests : ServerTransportConformanceTests
{
    /// <summary>A moderate limit keeps the suite fast; frames this large travel through the payload table.</summary>
    private const int Limit = 1024 * 1024;

    private readonly List<NpgsqlDataSource> _dataSources = [];

    /// <summary>A payload table per test (frames over 5922 bytes go through it), dropped afterwards.</summary>
    private readonly string _payloadTable = $"hc_conf_payloads_{Guid.NewGuid():N}";

    protected override int MaxMessageBytes => Limit;

    protected override string ServiceName => "postgres";

    protected override ValueTask<ITransport> ConnectAsync()
    {
        // A data source per transport: its own pool, so every transport has its own connections, like separate processes.
        var dataSource = PostgresTestServer.CreateDataSource();
        _dataSources.Add(dataSource);
        return ValueTask.FromResult<ITransport>(new PostgresTransport(dataSource, new PostgresTransportOptions
        {
            MaxMessageBytes = Limit,
            PayloadTable = _payloadTable,
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
        }));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();

        if (_dataSources.Count > 0)
        {
            // A fresh pool: after the server-restart test the others may hold dead connections.
            await using var admin = PostgresTestServer.CreateDataSource();
            await PostgresTestServer.ExecuteAsync(admin, $"DROP TABLE IF EXISTS {_payloadTable}");
        }

        // The transports never dispose the data sources they were given.
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }
    }
}
