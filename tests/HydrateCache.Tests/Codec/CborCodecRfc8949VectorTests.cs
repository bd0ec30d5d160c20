using System.Globalization;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

/// <summary>RFC 8949 Appendix A test vectors for every item the codec emits, in both directions.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecRfc8949VectorTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(10UL, "0a")]
    [InlineData(23UL, "17")]
    [InlineData(24UL, "1818")]
    [InlineData(25UL, "1819")]
    [InlineData(100UL, "1864")]
    [InlineData(1000UL, "1903e8")]
    [InlineData(1000000UL, "1a000f4240")]
    [InlineData(1000000000000UL, "1b000000e8d4a51000")]
    [InlineData(18446744073709551615UL, "1bffffffffffffffff")]
    public void UInt64_AppendixAVector_EncodesAndDecodes(ulong value, string hex)
    {
        var codec = new CborCodec<ulong>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(23L, "17")]
    [InlineData(1000000000000L, "1b000000e8d4a51000")]
    [InlineData(-1L, "20")]
    [InlineData(-10L, "29")]
    [InlineData(-100L, "3863")]
    [InlineData(-1000L, "3903e7")]
    [InlineData(long.MinValue, "3b7fffffffffffffff")]
    public void Int64_AppendixAVector_EncodesAndDecodes(long value, string hex)
    {
        var codec = new CborCodec<long>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(24, "1818")]
    [InlineData(1000000, "1a000f4240")]
    [InlineData(-1, "20")]
    [InlineData(-1000, "3903e7")]
    public void Int32_AppendixAVector_EncodesAndDecodes(int value, string hex)
    {
        var codec = new CborCodec<int>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData((short)-100, "3863")]
    [InlineData((short)1000, "1903e8")]
    public void Int16_AppendixAVector_EncodesAndDecodes(short value, string hex)
    {
        var codec = new CborCodec<short>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData((byte)0, "00")]
    [InlineData((byte)100, "1864")]
    [InlineData((byte)255, "18ff")]
    public void Byte_AppendixAVector_EncodesAndDecodes(byte value, string hex)
    {
        var codec = new CborCodec<byte>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData("18446744073709551616", "c249010000000000000000")]
    [InlineData("-18446744073709551616", "3bffffffffffffffff")]
    [InlineData("-18446744073709551617", "c349010000000000000000")]
    [InlineData("-1", "20")]
    [InlineData("170141183460469231731687303715884105727", "c2507fffffffffffffffffffffffffffffff")]
    [InlineData("-170141183460469231731687303715884105728", "c3507fffffffffffffffffffffffffffffff")]
    public void Int128_AppendixAVector_EncodesAndDecodes(string text, string hex)
    {
        var value = Int128.Parse(text, CultureInfo.InvariantCulture);
        var codec = new CborCodec<Int128>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData("18446744073709551615", "1bffffffffffffffff")]
    [InlineData("18446744073709551616", "c249010000000000000000")]
    public void UInt128_AppendixAVector_EncodesAndDecodes(string text, string hex)
    {
        var value = UInt128.Parse(text, CultureInfo.InvariantCulture);
        var codec = new CborCodec<UInt128>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData(0.0, "f90000")]
    [InlineData(-0.0, "f98000")]
    [InlineData(1.0, "f93c00")]
    [InlineData(1.1, "fb3ff199999999999a")]
    [InlineData(1.5, "f93e00")]
    [InlineData(65504.0, "f97bff")]
    [InlineData(100000.0, "fa47c35000")]
    [InlineData(3.4028234663852886e+38, "fa7f7fffff")]
    [InlineData(1.0e+300, "fb7e37e43c8800759c")]
    [InlineData(5.960464477539063e-8, "f90001")]
    [InlineData(0.00006103515625, "f90400")]
    [InlineData(-4.0, "f9c400")]
    [InlineData(-4.1, "fbc010666666666666")]
    [InlineData(double.PositiveInfinity, "f97c00")]
    [InlineData(double.NaN, "f97e00")]
    [InlineData(double.NegativeInfinity, "f9fc00")]
    public void Double_AppendixAVector_EncodesShortestExactFormAndDecodes(double value, string hex)
    {
        var codec = new CborCodec<double>();
        Assert.Equal(hex, codec.EncodeHex(value));
        var decoded = codec.DecodeHex(hex);
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.IsNaN(value) ? double.NaN : value), BitConverter.DoubleToInt64Bits(double.IsNaN(decoded) ? double.NaN : decoded));
    }

    [Theory]
    [InlineData("fa7f800000", double.PositiveInfinity)]
    [InlineData("fa7fc00000", double.NaN)]
    [InlineData("faff800000", double.NegativeInfinity)]
    [InlineData("fb7ff0000000000000", double.PositiveInfinity)]
    [InlineData("fb7ff8000000000000", double.NaN)]
    [InlineData("fbfff0000000000000", double.NegativeInfinity)]
    public void Double_WiderSpecialValueVector_Decodes(string hex, double expected)
    {
        Assert.Equal(expected, new CborCodec<double>().DecodeHex(hex));
    }

    [Theory]
    [InlineData(1.5f, "f93e00")]
    [InlineData(100000.0f, "fa47c35000")]
    [InlineData(3.4028234663852886e+38f, "fa7f7fffff")]
    [InlineData(float.NegativeInfinity, "f9fc00")]
    public void Single_AppendixAVector_EncodesShortestExactFormAndDecodes(float value, string hex)
    {
        var codec = new CborCodec<float>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Fact]
    public void Half_AppendixAVector_EncodesAndDecodes()
    {
        var codec = new CborCodec<Half>();
        Assert.Equal("f97bff", codec.EncodeHex(Half.MaxValue));
        Assert.Equal(Half.MaxValue, codec.DecodeHex("f97bff"));
        Assert.Equal("f90001", codec.EncodeHex(Half.Epsilon));
    }

    [Theory]
    [InlineData(false, "f4")]
    [InlineData(true, "f5")]
    public void Boolean_AppendixAVector_EncodesAndDecodes(bool value, string hex)
    {
        var codec = new CborCodec<bool>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Fact]
    public void Null_AppendixAVector_EncodesAndDecodesForReferenceAndNullableTypes()
    {
        Assert.Equal("f6", new CborCodec<string?>().EncodeHex(null));
        Assert.Null(new CborCodec<string?>().DecodeHex("f6"));
        Assert.Equal("f6", new CborCodec<int?>().EncodeHex(null));
        Assert.Null(new CborCodec<int?>().DecodeHex("f6"));
        Assert.Equal("f6", new CborCodec<Price?>().EncodeHex(null));
        Assert.Null(new CborCodec<Price?>().DecodeHex("f6"));
        Assert.Equal("f6", new CborCodec<List<int>?>().EncodeHex(null));
    }

    [Theory]
    [InlineData("", "60")]
    [InlineData("a", "6161")]
    [InlineData("IETF", "6449455446")]
    [InlineData("\"\\", "62225c")]
    [InlineData("\u00fc", "62c3bc")]
    [InlineData("\u6c34", "63e6b0b4")]
    [InlineData("\ud800\udd51", "64f0908591")]
    public void String_AppendixAVector_EncodesAndDecodes(string value, string hex)
    {
        var codec = new CborCodec<string>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData("", "40")]
    [InlineData("01020304", "4401020304")]
    public void ByteArray_AppendixAVector_EncodesAndDecodes(string bytesHex, string hex)
    {
        var value = Convert.FromHexString(bytesHex);
        var codec = new CborCodec<byte[]>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Theory]
    [InlineData(new int[0], "80")]
    [InlineData(new[] { 1, 2, 3 }, "83010203")]
    [InlineData(
        new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 },
        "98190102030405060708090a0b0c0d0e0f101112131415161718181819")]
    public void IntArray_AppendixAVector_EncodesAndDecodes(int[] value, string hex)
    {
        Assert.Equal(hex, new CborCodec<int[]>().EncodeHex(value));
        Assert.Equal(value, new CborCodec<int[]>().DecodeHex(hex));
        Assert.Equal(hex, new CborCodec<List<int>>().EncodeHex([.. value]));
        Assert.Equal(value, new CborCodec<List<int>>().DecodeHex(hex));
    }

    [Fact]
    public void EmptyMap_AppendixAVector_EncodesAndDecodes()
    {
        var codec = new CborCodec<Dictionary<string, int>>();
        Assert.Equal("a0", codec.EncodeHex([]));
        Assert.Empty(codec.DecodeHex("a0"));
    }

    [Fact]
    public void IntegerKeyedObject_AppendixAVector_EncodesKeysAscending()
    {
        // {1: 2, 3: 4}
        var codec = new CborCodec<IntKeyMap>();
        Assert.Equal("a201020304", codec.EncodeHex(new IntKeyMap { A = 2, B = 4 }));
        var decoded = codec.DecodeHex("a201020304");
        Assert.Equal(2, decoded.A);
        Assert.Equal(4, decoded.B);
    }

    [Fact]
    public void TextKeyedRecord_AppendixAVector_EncodesAndDecodes()
    {
        // {"a": 1, "b": [2, 3]}
        var codec = new CborCodec<LowerAB>();
        Assert.Equal("a26161016162820203", codec.EncodeHex(new LowerAB(1, [2, 3])));
        var decoded = codec.DecodeHex("a26161016162820203");
        Assert.Equal(1, decoded.a);
        Assert.Equal([2, 3], decoded.b);
    }

    [Fact]
    public void StringDictionary_AppendixAVector_EncodesInInsertionOrder()
    {
        // {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}
        const string Hex = "a56161614161626142616361436164614461656145";
        var value = new Dictionary<string, string> { ["a"] = "A", ["b"] = "B", ["c"] = "C", ["d"] = "D", ["e"] = "E" };
        var codec = new CborCodec<Dictionary<string, string>>();
        Assert.Equal(Hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(Hex));
    }

    [Fact]
    public void DateTime_AppendixATag0Vector_EncodesAndDecodes()
    {
        const string Hex = "c074323031332d30332d32315432303a30343a30305a";
        var value = new DateTime(2013, 3, 21, 20, 4, 0, DateTimeKind.Utc);
        var codec = new CborCodec<DateTime>();
        Assert.Equal(Hex, codec.EncodeHex(value));
        var decoded = codec.DecodeHex(Hex);
        Assert.Equal(value, decoded);
        Assert.Equal(DateTimeKind.Utc, decoded.Kind);
    }

    [Fact]
    public void DateTimeOffset_AppendixATag0Vector_EncodesAndDecodes()
    {
        const string Hex = "c074323031332d30332d32315432303a30343a30305a";
        var value = new DateTimeOffset(2013, 3, 21, 20, 4, 0, TimeSpan.Zero);
        var codec = new CborCodec<DateTimeOffset>();
        Assert.Equal(Hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(Hex));
    }

    [Theory]
    [InlineData("c11a514b67b0", 0)]
    [InlineData("c1fb41d452d9ec200000", 5_000_000)]
    public void DateTime_AppendixATag1EpochVector_Decodes(string hex, long extraTicks)
    {
        var expected = new DateTime(2013, 3, 21, 20, 4, 0, DateTimeKind.Utc).AddTicks(extraTicks);
        Assert.Equal(expected, new CborCodec<DateTime>().DecodeHex(hex));
        Assert.Equal(new DateTimeOffset(expected), new CborCodec<DateTimeOffset>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("9fff", new int[0])]
    [InlineData("9f0102ff", new[] { 1, 2 })]
    [InlineData("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 })]
    public void IntList_IndefiniteLengthVector_Decodes(string hex, int[] expected)
    {
        Assert.Equal(expected, new CborCodec<List<int>>().DecodeHex(hex));
        Assert.Equal(expected, new CborCodec<int[]>().DecodeHex(hex));
        Assert.Equal(expected, new CborCodec<IReadOnlyList<int>>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("9f9f0102ff820304ff")]
    [InlineData("829f0102ff9f0304ff")]
    [InlineData("82820102820304")]
    public void NestedIntList_MixedLengthVectors_Decode(string hex)
    {
        var decoded = new CborCodec<List<List<int>>>().DecodeHex(hex);
        Assert.Equal([[1, 2], [3, 4]], decoded);
    }

    [Theory]
    [InlineData("9f018202039f0405ffff")]
    [InlineData("9f01820203820405ff")]
    [InlineData("83018202039f0405ff")]
    [InlineData("83019f0203ff820405")]
    public void HeterogeneousAppendixAArray_AsUnknownMember_IsSkipped(string arrayHex)
    {
        // [1, [2, 3], [4, 5]] has no uniform C# element type; as the value of an unknown key it must be skipped whole.
        var hex = "a3" + "66" + CborTestSupport.TextHex("Symbol") + "6141" + "65" + CborTestSupport.TextHex("Extra") + arrayHex
            + "65" + CborTestSupport.TextHex("Value") + "01";
        var decoded = new CborCodec<Price>().DecodeHex(hex);
        Assert.Equal(new Price("A", 1m), decoded);
    }

    [Fact]
    public void TextKeyedRecord_IndefiniteLengthMapVector_Decodes()
    {
        // {_ "a": 1, "b": [_ 2, 3]}
        var decoded = new CborCodec<LowerAB>().DecodeHex("bf61610161629f0203ffff");
        Assert.Equal(1, decoded.a);
        Assert.Equal([2, 3], decoded.b);
    }

    [Fact]
    public void Record_AppendixAFunAmtVector_Decodes()
    {
        // {_ "Fun": true, "Amt": -2}
        Assert.Equal(new FunAmt(true, -2), new CborCodec<FunAmt>().DecodeHex("bf6346756ef563416d7421ff"));
    }

    [Fact]
    public void String_IndefiniteLengthVector_Decodes()
    {
        Assert.Equal("streaming", new CborCodec<string>().DecodeHex("7f657374726561646d696e67ff"));
        Assert.Equal(string.Empty, new CborCodec<string>().DecodeHex("7fff"));
    }

    [Fact]
    public void ByteArray_IndefiniteLengthVector_Decodes()
    {
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, new CborCodec<byte[]>().DecodeHex("5f42010243030405ff"));
        Assert.Empty(new CborCodec<byte[]>().DecodeHex("5fff"));
    }

    [Fact]
    public void StringDictionary_IndefiniteLengthMapVector_Decodes()
    {
        // {_ "a": "A", "b": "B"} with an indefinite-length key.
        var decoded = new CborCodec<IReadOnlyDictionary<string, string>>().DecodeHex("bf616161417f6162ff6142ff");
        Assert.Equal("A", decoded["a"]);
        Assert.Equal("B", decoded["b"]);
    }

    [Theory]
    [InlineData("0", "c4820000")]
    [InlineData("-1.5", "c482202e")]
    [InlineData("1.50", "c482211896")]
    [InlineData("273.15", "c48221196ab3")]
    [InlineData("79228162514264337593543950335", "c48200c24cffffffffffffffffffffffff")]
    [InlineData("-79228162514264337593543950335", "c48200c34cfffffffffffffffffffffffe")]
    [InlineData("0.0000000000000000000000000001", "c482381b01")]
    public void Decimal_Rfc8949DecimalFraction_EncodesShortestMantissaAndDecodes(string text, string hex)
    {
        var value = decimal.Parse(text, CultureInfo.InvariantCulture);
        var codec = new CborCodec<decimal>();
        Assert.Equal(hex, codec.EncodeHex(value));
        var decoded = codec.DecodeHex(hex);
        Assert.Equal(value, decoded);
        Assert.Equal(text, decoded.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Guid_Tag37_EncodesNetworkByteOrder()
    {
        var value = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var codec = new CborCodec<Guid>();
        Assert.Equal("d82550" + "00112233445566778899aabbccddeeff", codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex("d8255000112233445566778899aabbccddeeff"));
        Assert.Equal(value, codec.DecodeHex("5000112233445566778899aabbccddeeff"));
    }
}
