using HydrateCache.TestKit;
using Npgsql;

namespace HydrateCache.Postgres.Tests;

/// <summary>Options validation and limits: no server needed (the data sources are never opened).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class PostgresTransportOptionsTests
{
    [Fact]
    public void InlineLimit_EncodedPayloadFitsNotifyLimit()
    {
        var payload = PostgresPayload.EncodeInline(new byte[PostgresPayload.MaxInlineFrameBytes]);
        Assert.True(payload.Length <= PostgresPayload.MaxNotifyPayloadChars);
        Assert.True(payload.Length < 8000);
        Assert.Equal(5922, PostgresPayload.MaxInlineFrameBytes);
    }

    public static TheoryData<string> InvalidTables => ["", "a.b.c", "1table", "bad-name", "x;y", "x\"y", "sch.", ".tbl", "ta ble", new string('t', 64)];

    [Theory]
    [MemberData(nameof(InvalidTables))]
    public void Options_InvalidPayloadTable_ThrowsArgumentException(string table)
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");
        Assert.Throws<ArgumentException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { PayloadTable = table }));
    }

    [Theory]
    [InlineData("hc_payloads", "\"hc_payloads\"")]
    [InlineData("public.HcPayloads", "\"public\".\"HcPayloads\"")]
    [InlineData("_s1._t$", null)]
    public void Options_PayloadTable_IsValidatedAndQuoted(string table, string? quoted)
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");
        if (quoted is null)
        {
            Assert.Throws<ArgumentException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { PayloadTable = table }));
            return;
        }

        Assert.Equal(quoted, new PostgresTransport(dataSource, new PostgresTransportOptions { PayloadTable = table }).PayloadTable);
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { MaxMessageBytes = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { MaxMessageBytes = PostgresTransportOptions.MaxMessageBytesLimit + 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { SubscriptionBuffer = new() { MaxMessages = 0 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { SubscriptionBuffer = new() { MaxBytes = 0 } }));
        Assert.Throws<ArgumentNullException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { SubscriptionBuffer = null! }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { LargePayloadRetention = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { ReconnectDelay = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { TopicPrefix = new string('p', 63) }));
        Assert.Throws<ArgumentException>(() => new PostgresTransport(dataSource, new PostgresTransportOptions { TopicPrefix = "a\0" }));
        Assert.Throws<ArgumentNullException>(() => new PostgresTransport(null!));
    }

    [Fact]
    public void Options_SubscriptionBuffer_DefaultsToDropOldestAndRejectsWait()
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");
        Assert.Equal(TransportOverflowPolicy.DropOldest, new PostgresTransportOptions().SubscriptionBuffer.OverflowPolicy);
        Assert.Equal(65_536, new PostgresTransportOptions().SubscriptionBuffer.MaxMessages);

        var wait = new PostgresTransportOptions { SubscriptionBuffer = new() { OverflowPolicy = TransportOverflowPolicy.Wait } };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresTransport(dataSource, wait));
        Assert.Contains("OverflowPolicy", ex.ParamName, StringComparison.Ordinal);
    }

    [Fact]
    public void DataSource_Multiplexing_IsRejected()
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Multiplexing=true");
        Assert.Throws<ArgumentException>(() => new PostgresTransport(dataSource));
    }

    [Fact]
    public void CleanupPeriod_IsHalfTheRetentionBetweenOneSecondAndOneMinute()
    {
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1");
        Assert.Equal(TimeSpan.FromMinutes(1), new PostgresTransport(dataSource).CleanupPeriod);
        Assert.Equal(TimeSpan.FromSeconds(1), new PostgresTransport(dataSource, new PostgresTransportOptions { LargePayloadRetention = TimeSpan.FromMilliseconds(10) }).CleanupPeriod);
        Assert.Equal(TimeSpan.FromSeconds(15), new PostgresTransport(dataSource, new PostgresTransportOptions { LargePayloadRetention = TimeSpan.FromSeconds(30) }).CleanupPeriod);
    }
}
