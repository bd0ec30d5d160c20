using System.Buffers;
using CsCheck;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>Properties of <see cref="CborCodec{T}"/> on a realistic record (CsCheck; a failure prints its seed).</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecPropertyTests
{
    private static readonly CborCodec<SampleOrder> Codec = new();

    [Fact]
    public void EncodeThenDecode_AnyOrder_RoundTripsExactly() =>
        PropertyGens.Order.Sample(
            order => Assert.Equal(order, Codec.Decode(Encode(order))),
            PropertyGens.Output,
            iter: 3_000);

    [Fact]
    public void Decode_ArbitraryBytes_ThrowsOnlyHydrateCodecException() =>
        PropertyGens.ArbitraryBytes.Sample(
            bytes => AssertDecodeIsTotal(bytes),
            PropertyGens.Output,
            iter: 20_000);

    [Fact]
    public void Decode_MutatedValidEncodings_ThrowsOnlyHydrateCodecException() =>
        Gen.Select(PropertyGens.Order, PropertyGens.Mutation.Array[1, 4]).Sample(
            (order, mutations) => AssertDecodeIsTotal(PropertyGens.Mutate(Encode(order), mutations)),
            PropertyGens.Output,
            iter: 5_000);

    /// <summary>Decoding either yields a value that encodes and decodes to itself, or throws <see cref="HydrateCodecException"/>.</summary>
    private static void AssertDecodeIsTotal(byte[] bytes)
    {
        SampleOrder? decoded;
        try
        {
            decoded = Codec.Decode(bytes);
        }
        catch (HydrateCodecException)
        {
            return;
        }

        if (decoded is not null)
        {
            Assert.Equal(decoded, Codec.Decode(Encode(decoded)));
        }
    }

    private static byte[] Encode(SampleOrder order)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Codec.Encode(order, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
