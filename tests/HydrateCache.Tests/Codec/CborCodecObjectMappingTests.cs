using System.Buffers;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecObjectMappingTests
{
    [Fact]
    public void Decode_UnknownTextKey_IsSkipped()
    {
        var v2 = new V2("n", 3, "extra", new Price("P", 1m), [1, 2, 3]);

        var decoded = new CborCodec<V1>().Decode(new CborCodec<V2>().EncodeBytes(v2));

        Assert.Equal(new V1("n", 3), decoded);
    }

    [Fact]
    public void Decode_UnknownKeysOfEveryKind_AreSkipped()
    {
        // {"Symbol": "S", 7: [1, {"x": h'00'}], -3: null, [1]: 2, 1.5: true, 99999999999: "big", "Value": 2, "Zzz": {_ "a": [_ ]}}
        var hex = "a8"
            + "66" + CborTestSupport.TextHex("Symbol") + "6153"
            + "07" + "8201a1617841" + "00"
            + "22" + "f6"
            + "8101" + "02"
            + "f93e00" + "f5"
            + "1b000000174876e7ff" + "63626967"
            + "65" + CborTestSupport.TextHex("Value") + "02"
            + "63" + CborTestSupport.TextHex("Zzz") + "bf61619fffff";

        Assert.Equal(new Price("S", 2m), new CborCodec<Price>().DecodeHex(hex));
    }

    [Fact]
    public void Decode_UnknownIntegerKey_IsSkipped()
    {
        // {1: "x", 9: "future", 2: 5}
        var decoded = new CborCodec<KeyedItem>().DecodeHex("a3" + "016178" + "0966" + CborTestSupport.TextHex("future") + "0205");

        Assert.Equal("x", decoded.Name);
        Assert.Equal(5, decoded.Count);
    }

    [Fact]
    public void Decode_MissingKeys_LeavesInitializerDefaults()
    {
        var decoded = new CborCodec<Defaults>().DecodeHex("a0");

        Assert.Equal("unset", decoded.Name);
        Assert.Equal(-1, decoded.Count);
        Assert.Equal([9], decoded.Items);
    }

    [Fact]
    public void Decode_MissingConstructorParameters_UseDeclaredDefaultsOrDefault()
    {
        var v1Bytes = new CborCodec<V1>().EncodeBytes(new V1("n", 3));

        var asV2 = new CborCodec<V2>().Decode(v1Bytes);
        var withDefaults = new CborCodec<WithDefaults>().DecodeHex("a1" + "64" + CborTestSupport.TextHex("Name") + "6178");

        Assert.Equal("n", asV2.Name);
        Assert.Equal(3, asV2.Count);
        Assert.Null(asV2.Extra);
        Assert.Null(asV2.Nested);
        Assert.Null(asV2.More);
        Assert.Equal(new WithDefaults("x", 3, Color.Green, 0.5m, 7), withDefaults);
    }

    [Fact]
    public void Decode_KeysInAnyOrder_AreMatched()
    {
        // {"Value": 1, "Symbol": "S"} (reverse of the written order), as an indefinite-length map.
        var hex = "bf" + "65" + CborTestSupport.TextHex("Value") + "01" + "66" + CborTestSupport.TextHex("Symbol") + "6153" + "ff";

        Assert.Equal(new Price("S", 1m), new CborCodec<Price>().DecodeHex(hex));
    }

    [Fact]
    public void Decode_RepeatedKey_KeepsLastValue()
    {
        var hex = "a3" + "65" + CborTestSupport.TextHex("Value") + "01" + "66" + CborTestSupport.TextHex("Symbol") + "6153"
            + "65" + CborTestSupport.TextHex("Value") + "02";

        Assert.Equal(new Price("S", 2m), new CborCodec<Price>().DecodeHex(hex));
    }

    [Fact]
    public void Decode_TextKeysAreCaseSensitive()
    {
        var hex = "a2" + "66" + CborTestSupport.TextHex("symbol") + "6153" + "65" + CborTestSupport.TextHex("Value") + "01";

        Assert.Equal(new Price(null!, 1m), new CborCodec<Price>().DecodeHex(hex));
    }

    [Fact]
    public void Decode_FloatAndIntegerForms_AcceptedForFloatingAndDecimalMembers()
    {
        Assert.Equal(2m, new CborCodec<decimal>().DecodeHex("02"));
        Assert.Equal(-3m, new CborCodec<decimal>().DecodeHex("22"));
        Assert.Equal(1.5m, new CborCodec<decimal>().DecodeHex("f93e00"));
        Assert.Equal(100m, new CborCodec<decimal>().DecodeHex("c4820201"));
        Assert.Equal(5.0, new CborCodec<double>().DecodeHex("05"));
        Assert.Equal(-1.1f, new CborCodec<float>().DecodeHex("fbbff199999999999a"));
    }

    [Fact]
    public void Ignore_Member_IsNotWrittenOrRead()
    {
        var codec = new CborCodec<WithIgnored>();

        var hex = codec.EncodeHex(new WithIgnored { Kept = 1, Ignored = 5 });
        var decoded = codec.DecodeHex("a2" + "64" + CborTestSupport.TextHex("Kept") + "01" + "67" + CborTestSupport.TextHex("Ignored") + "05");

        Assert.Equal("a1" + "64" + CborTestSupport.TextHex("Kept") + "01", hex);
        Assert.Equal(1, decoded.Kept);
        Assert.Equal(42, decoded.Ignored);
    }

    [Fact]
    public void Ignore_PositionalRecordMember_PassesDefaultToConstructor()
    {
        var codec = new CborCodec<IgnoredPositional>();

        var decoded = codec.RoundTrip(new IgnoredPositional("n", 123));

        Assert.Equal(new IgnoredPositional("n", 0), decoded);
    }

    [Fact]
    public void Inheritance_BaseMembersComeFirst()
    {
        var codec = new CborCodec<DerivedEntity>();
        var value = new DerivedEntity { Id = 1, Tag = "t", Extra = "e" };

        var hex = codec.EncodeHex(value);
        var decoded = codec.DecodeHex(hex);

        Assert.Equal("a3" + "62" + CborTestSupport.TextHex("Id") + "01" + "63" + CborTestSupport.TextHex("Tag") + "6174"
            + "65" + CborTestSupport.TextHex("Extra") + "6165", hex);
        Assert.Equal((1, "t", "e"), (decoded.Id, decoded.Tag, decoded.Extra));
    }

    [Fact]
    public void Constructor_MarkedWithCborConstructor_IsUsed()
    {
        var decoded = new CborCodec<ChosenConstructor>().RoundTrip(new ChosenConstructor(5));

        Assert.Equal(5, decoded.Value);
        Assert.Equal("marked", decoded.Source);
    }

    [Fact]
    public void Constructor_WithMostMatchingParameters_IsPreferred()
    {
        var decoded = new CborCodec<MostParameters>().RoundTrip(new MostParameters("n", 2));

        Assert.Equal(("n", 2, "full"), (decoded.Name, decoded.Count, decoded.Source));
    }

    [Fact]
    public void Decode_ConstructorThrows_WrapsInHydrateCodecException()
    {
        var codec = new CborCodec<ValidatingRecordHolder>();

        var ex = Assert.Throws<HydrateCodecException>(() => codec.DecodeHex("a1" + "67" + CborTestSupport.TextHex("Percent") + "1865"));

        Assert.IsType<ArgumentOutOfRangeException>(ex.InnerException);
    }

    [Fact]
    public void Decode_NullForNonNullableValueTypeMember_Throws()
    {
        var hex = "a2" + "66" + CborTestSupport.TextHex("Symbol") + "6153" + "65" + CborTestSupport.TextHex("Value") + "f6";

        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<Price>().DecodeHex(hex));

        Assert.Contains("Price.Value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_AppendsToExistingBufferContent()
    {
        var codec = new CborCodec<int>();
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write(new byte[] { 0xAA });

        codec.Encode(1000, buffer);
        codec.Encode(1, buffer);

        Assert.Equal("aa1903e801", CborTestSupport.Hex(buffer.WrittenSpan));
    }
}
