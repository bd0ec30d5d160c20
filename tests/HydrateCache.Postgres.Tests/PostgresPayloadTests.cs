using HydrateCache.TestKit;

namespace HydrateCache.Postgres.Tests;

[TestSuite("BVT"), TestProvider("None"), TestArea("Transport")]
public class PostgresPayloadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5921)]
    [InlineData(5922)]
    public void Inline_RoundTrips(int size)
    {
        var frame = new byte[size];
        new Random(size).NextBytes(frame);

        var payload = PostgresPayload.EncodeInline(frame);

        Assert.Equal(PostgresPayloadKind.Inline, PostgresPayload.Parse(payload, out var decoded, out _));
        Assert.Equal(frame, decoded);
        Assert.All(payload, c => Assert.True(char.IsAscii(c)));
    }

    [Theory]
    [InlineData("r0", 0L)]
    [InlineData("r42", 42L)]
    [InlineData("r9223372036854775807", long.MaxValue)]
    public void Reference_Parses(string payload, long id)
    {
        Assert.Equal(PostgresPayloadKind.Reference, PostgresPayload.Parse(payload, out _, out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("bA")]
    [InlineData("bA===")]
    [InlineData("b====")]
    [InlineData("bAA=A")]
    [InlineData("r")]
    [InlineData("r+1")]
    [InlineData("r 1")]
    [InlineData("r99999999999999999999")]
    public void Invalid_IsRejectedWithoutThrowing(string? payload)
    {
        Assert.Equal(PostgresPayloadKind.Invalid, PostgresPayload.Parse(payload, out var frame, out _));
        Assert.Null(frame);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("\"; DROP TABLE x; --", "\"\"\"; DROP TABLE x; --\"")]
    public void Quote_DoublesEmbeddedQuotes(string identifier, string expected) =>
        Assert.Equal(expected, PostgresIdentifier.Quote(identifier));
}
