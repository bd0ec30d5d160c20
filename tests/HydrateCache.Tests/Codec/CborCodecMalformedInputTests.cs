using System.Formats.Cbor;
using System.Globalization;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecMalformedInputTests
{
    [Theory]
    [InlineData("")]
    [InlineData("19")]
    [InlineData("1903")]
    [InlineData("1b0000")]
    [InlineData("ff")]
    [InlineData("1c")]
    [InlineData("5f4101")]
    public void DecodeInt_TruncatedOrGarbage_ThrowsHydrateCodecException(string hex)
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<int>().DecodeHex(hex));

        Assert.NotNull(ex.InnerException);
        Assert.StartsWith("CborCodec<Int32>: cannot decode", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeRecord_EveryTruncation_ThrowsHydrateCodecException()
    {
        var codec = new CborCodec<Order>();
        var bytes = codec.EncodeBytes(new Order(
            Guid.NewGuid(), "c", [new Line { Sku = "s", Quantity = 1, UnitPrice = 2.5m }], new() { ["k"] = "v" }, DateTimeOffset.UnixEpoch));

        for (var length = 0; length < bytes.Length; length++)
        {
            var truncated = bytes.AsSpan(0, length).ToArray();
            var ex = Assert.Throws<HydrateCodecException>(() => codec.Decode(truncated));
            Assert.NotNull(ex.InnerException);
        }
    }

    [Fact]
    public void DecodeRecord_RandomGarbage_OnlyEverThrowsHydrateCodecException()
    {
        var codec = new CborCodec<Order>();
        var valid = codec.EncodeBytes(new Order(
            Guid.NewGuid(), "customer", [new Line { Sku = "s", Quantity = 1, UnitPrice = 2.5m }], new() { ["k"] = "v" }, DateTimeOffset.UnixEpoch));
        var random = new Random(1234);

        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            try
            {
                codec.Decode(mutated);
            }
            catch (HydrateCodecException)
            {
                // Expected for most mutations; anything else fails the test.
            }
        }

        for (var i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 64)];
            random.NextBytes(garbage);
            try
            {
                codec.Decode(garbage);
            }
            catch (HydrateCodecException)
            {
            }
        }
    }

    [Fact]
    public void DecodeRecord_TextWhereIntegerExpected_ThrowsWithMemberPath()
    {
        var hex = "a1" + "68" + CborTestSupport.TextHex("Quantity") + "6131";

        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Line>().DecodeHex(hex));

        Assert.Contains("'Line.Quantity'", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    [Fact]
    public void DecodeNestedGraph_WrongTypeDeepInside_ReportsFullPath()
    {
        var codec = new CborCodec<Order>();
        var value = new Order(Guid.Empty, "c", [new Line(), new Line { Sku = "x" }], [], DateTimeOffset.UnixEpoch);
        var hex = codec.EncodeHex(value);

        // Replace the second line's Sku text "x" (6178) with an integer (01).
        var broken = hex.Replace("63" + CborTestSupport.TextHex("Sku") + "6178", "63" + CborTestSupport.TextHex("Sku") + "01", StringComparison.Ordinal);
        var ex = Assert.Throws<HydrateCodecException>(() => codec.DecodeHex(broken));

        Assert.Contains("'Order.Lines[1].Sku'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("19012c")]
    [InlineData("20")]
    [InlineData("1a00010000")]
    public void DecodeByte_OutOfRange_ThrowsWithOverflowCause(string hex)
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<byte>().DecodeHex(hex));

        Assert.IsType<OverflowException>(ex.InnerException);
    }

    [Theory]
    [InlineData("1b8000000000000000")]
    [InlineData("3b8000000000000000")]
    public void DecodeInt64_OutOfRange_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<long>().DecodeHex(hex));
    }

    [Fact]
    public void DecodeMember_OutOfRange_ThrowsWithMemberPath()
    {
        // {"Byte": 300}
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<AllTypes>().DecodeHex("a1" + "64" + CborTestSupport.TextHex("Byte") + "19012c"));

        Assert.Contains("'AllTypes.Byte'", ex.Message, StringComparison.Ordinal);
        Assert.IsType<OverflowException>(ex.InnerException);
    }

    [Theory]
    [InlineData("fa7f7fffff")]
    [InlineData("fb7e37e43c8800759c")]
    public void DecodeHalf_TooLarge_ThrowsOverflow(string hex)
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Half>().DecodeHex(hex));

        Assert.IsType<OverflowException>(ex.InnerException);
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("01ff")]
    [InlineData("1903e8f6")]
    public void DecodeInt_TrailingBytes_ThrowsHydrateCodecException(string hex)
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<int>().DecodeHex(hex));

        Assert.Contains("trailing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeObject_TrailingBytes_ThrowsHydrateCodecException()
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Defaults>().DecodeHex("a0a0"));

        Assert.Contains("1 trailing byte(s)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NestingDeeperThanMaxDepth_ThrowsHydrateCodecException()
    {
        // 100 nested TreeNode levels: each level is a map plus a list.
        var hex = string.Concat(Enumerable.Repeat("a1" + "68" + CborTestSupport.TextHex("Children") + "81", 100)) + "a0";

        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<TreeNode>().DecodeHex(hex));

        Assert.IsType<CborContentException>(ex.InnerException);
        Assert.Contains("depth", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_DeepNestingInsideSkippedUnknownMember_ThrowsHydrateCodecException()
    {
        var deep = string.Concat(Enumerable.Repeat("81", 10_000)) + "00";
        var hex = "a1" + "65" + CborTestSupport.TextHex("Extra") + deep;

        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Price>().DecodeHex(hex));

        Assert.IsType<CborContentException>(ex.InnerException);
    }

    [Fact]
    public void Decode_DeepNestingWithinCustomMaxDepth_Succeeds()
    {
        var hex = string.Concat(Enumerable.Repeat("81", 20)) + "00";
        var shallow = new CborCodec<Defaults>(new CborCodecOptions { MaxDepth = 10 });
        var deep = new CborCodec<Defaults>(new CborCodecOptions { MaxDepth = 30 });
        var payload = "a1" + "65" + CborTestSupport.TextHex("Extra") + hex;

        Assert.Throws<HydrateCodecException>(() => shallow.DecodeHex(payload));
        Assert.Equal("unset", deep.DecodeHex(payload).Name);
    }

    [Theory]
    [InlineData("a16653796d626f6c")]
    [InlineData("bf6653796d626f6cff")]
    [InlineData("a2")]
    [InlineData("f7")]
    [InlineData("f0")]
    [InlineData("80")]
    [InlineData("6141")]
    public void DecodeRecord_MalformedMap_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<Price>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("d825420102")]
    [InlineData("d82651000102030405060708090a0b0c0d0e0f10")]
    [InlineData("d8255100000000000000000000000000000000ff")]
    [InlineData("6130")]
    public void DecodeGuid_WrongShape_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<Guid>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("2013-03-21")]
    [InlineData("2013-03-21T20:04:00")]
    [InlineData("2013-13-21T20:04:00Z")]
    [InlineData("2013-02-29T20:04:00Z")]
    [InlineData("2013-03-21T24:04:00Z")]
    [InlineData("2013-03-21T20:04:60Z")]
    [InlineData("2013-03-21T20:04:00.Z")]
    [InlineData("2013-03-21T20:04:00+2:00")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("not a date at all....")]
    public void DecodeDateTime_InvalidRfc3339Text_ThrowsHydrateCodecException(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var hex = "c0" + (bytes.Length < 24 ? (0x60 + bytes.Length).ToString("x2", CultureInfo.InvariantCulture) : "78" + bytes.Length.ToString("x2", CultureInfo.InvariantCulture)) + CborTestSupport.Hex(bytes);

        Assert.Throws<HydrateCodecException>(() => new CborCodec<DateTimeOffset>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("2013-03-21t20:04:00z", 0)]
    [InlineData("2013-03-21T20:04:00.123456789Z", 1234567)]
    [InlineData("2013-03-21T21:34:00+01:30", 0)]
    public void DecodeDateTime_ValidRfc3339Variants_Decode(string text, long extraTicks)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var hex = "78" + bytes.Length.ToString("x2", CultureInfo.InvariantCulture) + CborTestSupport.Hex(bytes);

        var decoded = new CborCodec<DateTime>().DecodeHex(hex);

        Assert.Equal(new DateTime(2013, 3, 21, 20, 4, 0, DateTimeKind.Utc).AddTicks(extraTicks), decoded);
    }

    [Theory]
    [InlineData("c16161")]
    [InlineData("c2420102")]
    [InlineData("c1fb7ff0000000000000")]
    [InlineData("c11bffffffffffffffff")]
    [InlineData("f5")]
    public void DecodeDateTime_WrongTagOrValue_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<DateTime>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("60")]
    [InlineData("626162")]
    [InlineData("01")]
    public void DecodeChar_NotSingleCodeUnit_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<char>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("c48201")]
    [InlineData("c482381d1864")]
    [InlineData("c4826161 01")]
    [InlineData("c5820101")]
    [InlineData("fb7e37e43c8800759c")]
    [InlineData("f97e00")]
    public void DecodeDecimal_InvalidOrOutOfRange_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<decimal>().DecodeHex(hex));
    }

    [Theory]
    [InlineData("c251" + "01" + "00000000000000000000000000000000")]
    [InlineData("c250" + "80" + "000000000000000000000000000000")]
    [InlineData("c350" + "80" + "000000000000000000000000000000")]
    public void DecodeInt128_TooWide_ThrowsHydrateCodecException(string hex)
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<Int128>().DecodeHex(hex));
    }

    [Fact]
    public void DecodeDictionary_NonTextKey_ThrowsHydrateCodecException()
    {
        Assert.Throws<HydrateCodecException>(() => new CborCodec<Dictionary<string, int>>().DecodeHex("a10102"));
    }

    [Fact]
    public void DecodeStrict_InvalidUtf8_ThrowsHydrateCodecException()
    {
        var strict = new CborCodec<string>(new CborCodecOptions { ConformanceMode = CborConformanceMode.Strict });

        Assert.Throws<HydrateCodecException>(() => strict.DecodeHex("62c328"));
        Assert.Equal("\ufffd(", new CborCodec<string>().DecodeHex("62c328"));
        Assert.Equal("streaming", strict.DecodeHex("7f657374726561646d696e67ff"));
    }

    [Fact]
    public void DecodeStrict_DuplicateKey_ThrowsHydrateCodecException()
    {
        var strict = new CborCodec<Price>(new CborCodecOptions { ConformanceMode = CborConformanceMode.Strict });
        var hex = "a2" + "65" + CborTestSupport.TextHex("Value") + "01" + "65" + CborTestSupport.TextHex("Value") + "02";

        Assert.Throws<HydrateCodecException>(() => strict.DecodeHex(hex));
    }

    [Fact]
    public void Encode_CyclicGraph_ThrowsHydrateCodecExceptionInsteadOfOverflowingTheStack()
    {
        var node = new TreeNode { Name = "loop" };
        node.Children.Add(node);

        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<TreeNode>().EncodeBytes(node));

        Assert.Contains("MaxDepth", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("CborCodec<TreeNode>: cannot encode 'TreeNode...", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_TooDeepForMaxDepth_Throws_AndCodecStaysUsable()
    {
        var codec = new CborCodec<List<List<List<int>>>>(new CborCodecOptions { MaxDepth = 2 });

        Assert.Throws<HydrateCodecException>(() => codec.EncodeBytes([[[1]]]));
        Assert.Equal("8180", codec.EncodeHex([[]]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Encode_UnpairedSurrogate_ThrowsHydrateCodecException(int sample)
    {
        // Built here rather than in [InlineData]: theory data serialization would replace lone surrogates with U+FFFD.
        var value = sample switch
        {
            0 => "\ud800",
            1 => "a\udc00b",
            _ => "\ud83d\ud83d",
        };

        Assert.Throws<HydrateCodecException>(() => new CborCodec<string>().EncodeBytes(value));
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Price>().EncodeBytes(new Price(value, 1m)));
        Assert.Contains("'Price.Symbol'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<HydrateCodecException>(() => new CborCodec<Dictionary<string, int>>().EncodeBytes(new() { [value] = 1 }));
        Assert.Throws<HydrateCodecException>(() => new CborCodec<char>().EncodeBytes(value[0] == 'a' ? value[1] : value[0]));
    }

    [Fact]
    public void Encode_NullDestination_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new CborCodec<int>().Encode(1, null!));
    }
}
