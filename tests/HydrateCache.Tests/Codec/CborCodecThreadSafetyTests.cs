using System.Buffers;
using System.Globalization;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecThreadSafetyTests
{
    [Fact]
    public async Task SharedCodec_ParallelEncodeAndDecode_ProducesIdenticalResults()
    {
        var codec = new CborCodec<Order>();
        var orders = Enumerable.Range(0, 32).Select(CreateOrder).ToArray();
        var expected = orders.Select(codec.EncodeBytes).ToArray();
        var cancellationToken = TestContext.Current.CancellationToken;

        var workers = Enumerable.Range(0, Math.Max(4, Environment.ProcessorCount)).Select(worker => Task.Run(
            () =>
            {
                var buffer = new ArrayBufferWriter<byte>();
                for (var i = 0; i < 500; i++)
                {
                    var index = (worker + i) % orders.Length;
                    buffer.ResetWrittenCount();
                    codec.Encode(orders[index], buffer);
                    Assert.Equal(expected[index], buffer.WrittenSpan.ToArray());

                    var decoded = codec.Decode(buffer.WrittenSpan);
                    Assert.Equal(orders[index].Id, decoded.Id);
                    Assert.Equal(orders[index].Customer, decoded.Customer);
                    Assert.Equal(orders[index].Lines.Count, decoded.Lines.Count);
                    Assert.Equal(orders[index].PlacedAt, decoded.PlacedAt);
                }
            },
            cancellationToken));

        await Task.WhenAll(workers);
    }

    private static Order CreateOrder(int i) => new(
        Guid.NewGuid(),
        "customer-" + i.ToString(CultureInfo.InvariantCulture),
        Enumerable.Range(0, i % 5).Select(n => new Line { Sku = "sku" + n, Quantity = n, UnitPrice = n * 1.25m }).ToList(),
        new Dictionary<string, string> { ["i"] = i.ToString(CultureInfo.InvariantCulture) },
        DateTimeOffset.UnixEpoch.AddDays(i).ToOffset(TimeSpan.FromHours(i % 12)));
}
