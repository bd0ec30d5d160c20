using System.Globalization;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecRoundTripTests
{
    [Fact]
    public void AllTypes_PopulatedWithEdgeValues_RoundTripsEveryMember()
    {
        var codec = new CborCodec<AllTypes>();
        var value = CreatePopulated();

        var bytes = codec.EncodeBytes(value);
        var decoded = codec.Decode(bytes);

        Assert.Equal(value.Bool, decoded.Bool);
        Assert.Equal(value.SByte, decoded.SByte);
        Assert.Equal(value.Byte, decoded.Byte);
        Assert.Equal(value.Int16, decoded.Int16);
        Assert.Equal(value.UInt16, decoded.UInt16);
        Assert.Equal(value.Int32, decoded.Int32);
        Assert.Equal(value.UInt32, decoded.UInt32);
        Assert.Equal(value.Int64, decoded.Int64);
        Assert.Equal(value.UInt64, decoded.UInt64);
        Assert.Equal(value.Int128, decoded.Int128);
        Assert.Equal(value.UInt128, decoded.UInt128);
        Assert.Equal(value.Half, decoded.Half);
        Assert.Equal(value.Single, decoded.Single);
        Assert.Equal(value.Double, decoded.Double);
        Assert.Equal(value.Decimal, decoded.Decimal);
        Assert.Equal(value.Char, decoded.Char);
        Assert.Equal(value.String, decoded.String);
        Assert.Equal(value.Bytes, decoded.Bytes);
        Assert.Equal(value.ReadOnlyMemory.ToArray(), decoded.ReadOnlyMemory.ToArray());
        Assert.Equal(value.Memory.ToArray(), decoded.Memory.ToArray());
        Assert.Equal(value.Guid, decoded.Guid);
        Assert.Equal(value.DateTime, decoded.DateTime);
        Assert.Equal(value.DateTimeOffset, decoded.DateTimeOffset);
        Assert.Equal(value.DateTimeOffset.Offset, decoded.DateTimeOffset.Offset);
        Assert.Equal(value.DateOnly, decoded.DateOnly);
        Assert.Equal(value.TimeOnly, decoded.TimeOnly);
        Assert.Equal(value.TimeSpan, decoded.TimeSpan);
        Assert.Equal(value.Color, decoded.Color);
        Assert.Equal(value.Permissions, decoded.Permissions);
        Assert.Equal(value.Signed, decoded.Signed);
        Assert.Equal(value.NullableInt, decoded.NullableInt);
        Assert.Equal(value.NullableGuid, decoded.NullableGuid);
        Assert.Equal(value.NullableColor, decoded.NullableColor);
        Assert.Equal(value.NullablePoint, decoded.NullablePoint);
        Assert.Equal(value.Array, decoded.Array);
        Assert.Equal(value.List, decoded.List);
        Assert.Equal(value.IList, decoded.IList);
        Assert.Equal(value.ICollection, decoded.ICollection);
        Assert.Equal(value.IEnumerable, decoded.IEnumerable);
        Assert.Equal(value.IReadOnlyList, decoded.IReadOnlyList);
        Assert.Equal(value.IReadOnlyCollection, decoded.IReadOnlyCollection);
        Assert.Equal(value.HashSet, decoded.HashSet);
        Assert.Equal(value.ISet, decoded.ISet);
        Assert.Equal(value.IReadOnlySet, decoded.IReadOnlySet);
        Assert.Equal(value.Dictionary, decoded.Dictionary);
        Assert.Equal(value.IDictionary, decoded.IDictionary);
        Assert.Equal(value.IReadOnlyDictionary!.Keys, decoded.IReadOnlyDictionary!.Keys);
        Assert.Equal(value.IReadOnlyDictionary["primes"], decoded.IReadOnlyDictionary["primes"]);
        Assert.Equal(value.Point, decoded.Point);
        Assert.Equal(value.ReadonlyPoint, decoded.ReadonlyPoint);
        Assert.Equal(value.Price, decoded.Price);
        Assert.Equal(value.PublicField, decoded.PublicField);

        // Deterministic: the decoded value encodes to the same bytes.
        Assert.Equal(bytes, codec.EncodeBytes(decoded));
    }

    [Fact]
    public void AllTypes_DefaultsAndNulls_RoundTrip()
    {
        var codec = new CborCodec<AllTypes>();
        var value = new AllTypes();

        var decoded = codec.RoundTrip(value);

        Assert.Null(decoded.String);
        Assert.Null(decoded.Bytes);
        Assert.Null(decoded.NullableInt);
        Assert.Null(decoded.NullableGuid);
        Assert.Null(decoded.NullableColor);
        Assert.Null(decoded.NullablePoint);
        Assert.Null(decoded.Array);
        Assert.Null(decoded.List);
        Assert.Null(decoded.IEnumerable);
        Assert.Null(decoded.Dictionary);
        Assert.Null(decoded.IReadOnlyDictionary);
        Assert.Null(decoded.Price);
        Assert.Equal(default, decoded.Guid);
        Assert.Equal(default, decoded.Color);
        Assert.True(decoded.ReadOnlyMemory.IsEmpty);
        Assert.Equal(codec.EncodeBytes(value), codec.EncodeBytes(decoded));
    }

    [Fact]
    public void PositionalRecord_WithDecimal_RoundTrips()
    {
        var codec = new CborCodec<Price>();
        var value = new Price("MSFT", 412.37m);

        var hex = codec.EncodeHex(value);

        Assert.Equal("a2" + "66" + CborTestSupport.TextHex("Symbol") + "64" + CborTestSupport.TextHex("MSFT")
            + "65" + CborTestSupport.TextHex("Value") + "c4822119a115", hex);
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Fact]
    public void KeyedClass_SmallValue_EncodesIntegerKeysToExactBytes()
    {
        var codec = new CborCodec<KeyedItem>();

        var hex = codec.EncodeHex(new KeyedItem { Name = "x", Count = 5 });

        // {1: "x", 2: 5}
        Assert.Equal("a2" + "01" + "6178" + "02" + "05", hex);
        var decoded = codec.DecodeHex(hex);
        Assert.Equal("x", decoded.Name);
        Assert.Equal(5, decoded.Count);
    }

    [Fact]
    public void KeyedPositionalRecord_RoundTripsWithIntegerKeys()
    {
        var codec = new CborCodec<KeyedPrice>();
        var value = new KeyedPrice("A", -1.5m);

        var hex = codec.EncodeHex(value);

        Assert.Equal("a2" + "01" + "6141" + "02" + "c482202e", hex);
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Fact]
    public void MixedKeys_Encode_WritesIntegerKeysAscendingThenTextKeysInDeclarationOrder()
    {
        var codec = new CborCodec<MixedKeys>();
        var value = new MixedKeys { Name = "n", Second = 2, Negative = -5, Flag = true, First = 1 };

        var hex = codec.EncodeHex(value);

        var expected = "a5" + "20" + "24" + "01" + "01" + "02" + "02"
            + "64" + CborTestSupport.TextHex("Name") + "616e"
            + "64" + CborTestSupport.TextHex("Flag") + "f5";
        Assert.Equal(expected, hex);
        var decoded = codec.DecodeHex(hex);
        Assert.Equal((value.Name, value.Second, value.Negative, value.Flag, value.First), (decoded.Name, decoded.Second, decoded.Negative, decoded.Flag, decoded.First));
    }

    [Fact]
    public void InitOnlyClass_RoundTrips_AndSkipsComputedProperty()
    {
        var codec = new CborCodec<Settings>();
        var value = new Settings { Name = "svc", Retries = 7, Tags = ["a", "b"] };

        var hex = codec.EncodeHex(value);
        var decoded = codec.DecodeHex(hex);

        Assert.DoesNotContain(CborTestSupport.TextHex("Computed"), hex, StringComparison.Ordinal);
        Assert.Equal("svc", decoded.Name);
        Assert.Equal(7, decoded.Retries);
        Assert.Equal(["a", "b"], decoded.Tags);
    }

    [Fact]
    public void Structs_MutableAndReadonly_RoundTrip()
    {
        Assert.Equal(new MutablePoint { X = -3, Y = 4 }, new CborCodec<MutablePoint>().RoundTrip(new MutablePoint { X = -3, Y = 4 }));
        Assert.Equal(new ReadonlyPoint(5, -6), new CborCodec<ReadonlyPoint>().RoundTrip(new ReadonlyPoint(5, -6)));
        Assert.Equal("a2" + "6158" + "01" + "6159" + "02", new CborCodec<MutablePoint>().EncodeHex(new MutablePoint { X = 1, Y = 2 }));
    }

    [Fact]
    public void RecursiveTree_RoundTripsEveryLevel()
    {
        var codec = new CborCodec<TreeNode>();
        var root = new TreeNode
        {
            Name = "root",
            Children =
            [
                new TreeNode { Name = "a", Children = [new TreeNode { Name = "a1" }, new TreeNode { Name = "a2" }] },
                new TreeNode { Name = "b" },
            ],
        };

        var decoded = codec.RoundTrip(root);

        Assert.Equal("root", decoded.Name);
        Assert.Equal(["a", "b"], decoded.Children.Select(c => c.Name));
        Assert.Equal(["a1", "a2"], decoded.Children[0].Children.Select(c => c.Name));
        Assert.Empty(decoded.Children[1].Children);
    }

    [Fact]
    public void SelfAndMutuallyRecursiveTypes_RoundTrip()
    {
        var list = new CborCodec<LinkedNode>().RoundTrip(new LinkedNode { Value = 1, Next = new LinkedNode { Value = 2 } });
        var employee = new CborCodec<Employee>().RoundTrip(
            new Employee { Name = "e", Department = new Department { Title = "d", Head = new Employee { Name = "h" } } });

        Assert.Equal(1, list.Value);
        Assert.Equal(2, list.Next!.Value);
        Assert.Null(list.Next.Next);
        Assert.Equal("e", employee.Name);
        Assert.Equal("d", employee.Department!.Title);
        Assert.Equal("h", employee.Department.Head!.Name);
        Assert.Null(employee.Department.Head.Department);
    }

    [Fact]
    public void ReadonlyRecordStruct_RoundTrips()
    {
        var value = new Tick("EURUSD", 1.0842, 1.0843);

        Assert.Equal(value, new CborCodec<Tick>().RoundTrip(value));
        Assert.Equal([value, default], new CborCodec<Tick[]>().RoundTrip([value, default]));
    }

    [Fact]
    public void RecursiveTree_DeepButWithinMaxDepth_RoundTrips()
    {
        var codec = new CborCodec<TreeNode>(new CborCodecOptions { MaxDepth = 200 });
        var root = Chain(60);

        var decoded = codec.RoundTrip(root);

        var depth = 0;
        for (var node = decoded; node.Children.Count > 0; node = node.Children[0])
        {
            depth++;
        }

        Assert.Equal(60, depth);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(-42)]
    [InlineData(int.MaxValue)]
    public void NullableInt_NullAndValues_RoundTrip(int? value)
    {
        Assert.Equal(value, new CborCodec<int?>().RoundTrip(value));
    }

    [Fact]
    public void NullableStructs_NullAndValue_RoundTrip()
    {
        Assert.Null(new CborCodec<Guid?>().RoundTrip(null));
        var guid = Guid.NewGuid();
        Assert.Equal(guid, new CborCodec<Guid?>().RoundTrip(guid));
        Assert.Null(new CborCodec<MutablePoint?>().RoundTrip(null));
        Assert.Equal(new MutablePoint { X = 1 }, new CborCodec<MutablePoint?>().RoundTrip(new MutablePoint { X = 1 }));
        Assert.Equal(Color.Green, new CborCodec<Color?>().RoundTrip(Color.Green));
    }

    [Theory]
    [InlineData(Color.Red, "01")]
    [InlineData(Color.Green, "02")]
    [InlineData((Color)200, "18c8")]
    public void Enum_EncodesUnderlyingInteger(Color value, string hex)
    {
        var codec = new CborCodec<Color>();
        Assert.Equal(hex, codec.EncodeHex(value));
        Assert.Equal(value, codec.DecodeHex(hex));
    }

    [Fact]
    public void Enum_FlagsAndSigned_RoundTrip()
    {
        Assert.Equal(Permissions.Read | Permissions.Admin, new CborCodec<Permissions>().RoundTrip(Permissions.Read | Permissions.Admin));
        Assert.Equal("20", new CborCodec<Signed>().EncodeHex(Signed.Minus));
        Assert.Equal(Signed.Minus, new CborCodec<Signed>().DecodeHex("20"));
    }

    [Fact]
    public void Guid_RandomValues_RoundTrip()
    {
        var codec = new CborCodec<Guid>();
        for (var i = 0; i < 100; i++)
        {
            var value = Guid.NewGuid();
            Assert.Equal(value, codec.RoundTrip(value));
        }
    }

    [Fact]
    public void DateTime_Utc_RoundTripsWithFullPrecision()
    {
        var codec = new CborCodec<DateTime>();
        var value = new DateTime(2024, 2, 29, 23, 59, 59, DateTimeKind.Utc).AddTicks(1234567);

        var decoded = codec.RoundTrip(value);

        Assert.Equal(value, decoded);
        Assert.Equal(value.Ticks, decoded.Ticks);
        Assert.Equal(DateTimeKind.Utc, decoded.Kind);
    }

    [Fact]
    public void DateTime_Local_DecodesAsTheSameInstantInUtc()
    {
        var codec = new CborCodec<DateTime>();
        var value = new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Local).AddTicks(5);

        var decoded = codec.RoundTrip(value);

        Assert.Equal(DateTimeKind.Utc, decoded.Kind);
        Assert.Equal(value.ToUniversalTime(), decoded);
    }

    [Fact]
    public void DateTime_Unspecified_IsTakenAsUtc()
    {
        var codec = new CborCodec<DateTime>();
        var value = new DateTime(2024, 6, 1, 12, 30, 0, DateTimeKind.Unspecified);

        var decoded = codec.RoundTrip(value);

        Assert.Equal(DateTimeKind.Utc, decoded.Kind);
        Assert.Equal(value.Ticks, decoded.Ticks);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9999999)]
    public void DateTime_Extremes_RoundTrip(long ticksFromMax)
    {
        var codec = new CborCodec<DateTime>();
        var max = DateTime.SpecifyKind(DateTime.MaxValue.AddTicks(-ticksFromMax), DateTimeKind.Utc);
        var min = DateTime.SpecifyKind(DateTime.MinValue.AddTicks(ticksFromMax), DateTimeKind.Utc);
        Assert.Equal(max, codec.RoundTrip(max));
        Assert.Equal(min, codec.RoundTrip(min));
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(-5, -30)]
    [InlineData(14, 0)]
    [InlineData(0, 0)]
    public void DateTimeOffset_WithOffset_RoundTripsClockAndOffset(int hours, int minutes)
    {
        var codec = new CborCodec<DateTimeOffset>();
        var value = new DateTimeOffset(2013, 3, 21, 22, 4, 0, new TimeSpan(hours, minutes, 0)).AddTicks(10);

        var decoded = codec.RoundTrip(value);

        Assert.Equal(value.DateTime, decoded.DateTime);
        Assert.Equal(value.Offset, decoded.Offset);
    }

    [Fact]
    public void DateTimeOffset_NonZeroOffset_EncodesRfc3339TextWithOffset()
    {
        var value = new DateTimeOffset(2013, 3, 21, 22, 4, 0, TimeSpan.FromHours(2));

        var hex = new CborCodec<DateTimeOffset>().EncodeHex(value);

        Assert.Equal("c07819" + CborTestSupport.TextHex("2013-03-21T22:04:00+02:00"), hex);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1.5")]
    [InlineData("1.50")]
    [InlineData("79228162514264337593543950335")]
    [InlineData("-79228162514264337593543950335")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("123456789.123456789")]
    [InlineData("18446744073709551616")]
    public void Decimal_Values_RoundTripExactlyIncludingScale(string text)
    {
        var value = decimal.Parse(text, CultureInfo.InvariantCulture);

        var decoded = new CborCodec<decimal>().RoundTrip(value);

        Assert.Equal(value, decoded);
        Assert.Equal(text, decoded.ToString(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void TimeSpan_Ticks_RoundTrip(long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), new CborCodec<TimeSpan>().RoundTrip(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void TimeSpan_OneSecond_EncodesAsIntegerTicks()
    {
        Assert.Equal("1a00989680", new CborCodec<TimeSpan>().EncodeHex(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void DateOnlyAndTimeOnly_RoundTrip()
    {
        var date = new DateOnly(2013, 3, 21);
        Assert.Equal("d903ec6a" + CborTestSupport.TextHex("2013-03-21"), new CborCodec<DateOnly>().EncodeHex(date));
        Assert.Equal(date, new CborCodec<DateOnly>().RoundTrip(date));
        Assert.Equal(DateOnly.MaxValue, new CborCodec<DateOnly>().RoundTrip(DateOnly.MaxValue));
        Assert.Equal(new DateOnly(1970, 1, 2), new CborCodec<DateOnly>().DecodeHex("d86401"));
        Assert.Equal(TimeOnly.MaxValue, new CborCodec<TimeOnly>().RoundTrip(TimeOnly.MaxValue));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain ascii")]
    [InlineData("emb\0edded\0nuls\0")]
    [InlineData("\u00e9\u00e8\u00ea \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629")]
    [InlineData("emoji \ud83d\ude00\ud83c\udf89 and a combining e\u0301")]
    [InlineData("\uffff\ufffe\u0001")]
    public void String_UnicodeAndNuls_RoundTrip(string value)
    {
        Assert.Equal(value, new CborCodec<string>().RoundTrip(value));
        Assert.Equal(value, new CborCodec<Price>().RoundTrip(new Price(value, 1m)).Symbol);
    }

    [Fact]
    public void String_Long_RoundTrips()
    {
        var value = string.Concat(Enumerable.Repeat("0123456789\u00e9", 10_000));
        Assert.Equal(value, new CborCodec<string>().RoundTrip(value));
    }

    [Fact]
    public void Char_Values_RoundTrip()
    {
        var codec = new CborCodec<char>();
        Assert.Equal("6161", codec.EncodeHex('a'));
        Assert.Equal('\0', codec.RoundTrip('\0'));
        Assert.Equal('\u6c34', codec.RoundTrip('\u6c34'));
    }

    [Fact]
    public void ByteArray_AllByteValues_RoundTrip()
    {
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        var bytes = new CborCodec<byte[]>().EncodeBytes(value);

        Assert.Equal("590100", CborTestSupport.Hex(bytes.AsSpan(0, 3)));
        Assert.Equal(value, new CborCodec<byte[]>().Decode(bytes));
        Assert.Equal(value, new CborCodec<ReadOnlyMemory<byte>>().RoundTrip(value).ToArray());
    }

    [Fact]
    public void Collections_EmptyAndPopulated_RoundTrip()
    {
        Assert.Empty(new CborCodec<List<Price>>().RoundTrip([]));
        Assert.Equal([new Price("a", 1m), new Price("b", 2.5m)], new CborCodec<List<Price>>().RoundTrip([new Price("a", 1m), new Price("b", 2.5m)]));
        Assert.Empty(new CborCodec<Price[]>().RoundTrip([]));
        Assert.Equal([1L, 2L], new CborCodec<IEnumerable<long>>().RoundTrip(LazySequence()));
        Assert.Equal(["x", "y"], new CborCodec<ICollection<string>>().RoundTrip(["x", "y"]));
        Assert.Equal(["y", "x"], new CborCodec<IReadOnlyCollection<string>>().RoundTrip(new Queue<string>(["y", "x"])));
        Assert.Equal(new HashSet<int> { 3, 1, 2 }, new CborCodec<HashSet<int>>().RoundTrip([1, 2, 3]));
        Assert.IsType<HashSet<int>>(new CborCodec<IReadOnlySet<int>>().RoundTrip(new SortedSet<int> { 5 }));
        Assert.Equal([[1], [], [2, 3]], new CborCodec<List<int[]>>().RoundTrip([[1], [], [2, 3]]));
        Assert.Equal([null, "a"], new CborCodec<string?[]>().RoundTrip([null, "a"]));
    }

    [Fact]
    public void Dictionaries_EmptyAndPopulated_RoundTrip()
    {
        Assert.Empty(new CborCodec<Dictionary<string, int>>().RoundTrip([]));
        var populated = new Dictionary<string, Price?> { ["a"] = new Price("A", 1m), [""] = null, ["\u00fc"] = new Price("U", 0m) };
        Assert.Equal(populated, new CborCodec<Dictionary<string, Price?>>().RoundTrip(populated));
        var readOnly = new CborCodec<IReadOnlyDictionary<string, int>>().RoundTrip(new SortedDictionary<string, int> { ["b"] = 2, ["a"] = 1 });
        Assert.Equal(1, readOnly["a"]);
        Assert.Equal(2, readOnly["b"]);
        var nested = new CborCodec<IDictionary<string, Dictionary<string, List<int>>>>().RoundTrip(
            new Dictionary<string, Dictionary<string, List<int>>> { ["outer"] = new() { ["inner"] = [1, 2] } });
        Assert.Equal([1, 2], nested["outer"]["inner"]);
    }

    [Fact]
    public void TopLevelOrderGraph_RoundTrips()
    {
        var codec = new CborCodec<Order>();
        var value = new Order(
            Guid.NewGuid(),
            "Contoso",
            [new Line { Sku = "A-1", Quantity = 2, UnitPrice = 9.99m }, new Line { Sku = "B-2", Quantity = 1, UnitPrice = 100m }],
            new Dictionary<string, string> { ["channel"] = "web" },
            new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)));

        var decoded = codec.RoundTrip(value);

        Assert.Equal(value.Id, decoded.Id);
        Assert.Equal(value.Customer, decoded.Customer);
        Assert.Equal(value.Lines.Select(l => (l.Sku, l.Quantity, l.UnitPrice)), decoded.Lines.Select(l => (l.Sku, l.Quantity, l.UnitPrice)));
        Assert.Equal(value.Attributes, decoded.Attributes);
        Assert.Equal(value.PlacedAt, decoded.PlacedAt);
        Assert.Equal(value.PlacedAt.Offset, decoded.PlacedAt.Offset);
    }

    [Fact]
    public void InternalRecord_RoundTrips()
    {
        Assert.Equal(new InternalRecord(1, "y"), new CborCodec<InternalRecord>().RoundTrip(new InternalRecord(1, "y")));
    }

    [Fact]
    public void Primitives_AsTopLevelType_RoundTrip()
    {
        Assert.Equal(sbyte.MinValue, new CborCodec<sbyte>().RoundTrip(sbyte.MinValue));
        Assert.Equal(ushort.MaxValue, new CborCodec<ushort>().RoundTrip(ushort.MaxValue));
        Assert.Equal(uint.MaxValue, new CborCodec<uint>().RoundTrip(uint.MaxValue));
        Assert.Equal(Int128.MinValue, new CborCodec<Int128>().RoundTrip(Int128.MinValue));
        Assert.Equal(UInt128.MaxValue, new CborCodec<UInt128>().RoundTrip(UInt128.MaxValue));
        Assert.Equal(float.Epsilon, new CborCodec<float>().RoundTrip(float.Epsilon));
        Assert.Equal(double.MaxValue, new CborCodec<double>().RoundTrip(double.MaxValue));
        Assert.True(double.IsNaN(new CborCodec<double>().RoundTrip(double.NaN)));
    }

    [Fact]
    public void Codec_Id_IsCbor()
    {
        Assert.Equal("cbor", new CborCodec<int>().Id);
    }

    private static IEnumerable<long> LazySequence()
    {
        yield return 1;
        yield return 2;
    }

    private static TreeNode Chain(int levels)
    {
        var root = new TreeNode { Name = "0" };
        var current = root;
        for (var i = 1; i <= levels; i++)
        {
            var child = new TreeNode { Name = i.ToString(CultureInfo.InvariantCulture) };
            current.Children.Add(child);
            current = child;
        }

        return root;
    }

    private static AllTypes CreatePopulated() => new()
    {
        Bool = true,
        SByte = sbyte.MinValue,
        Byte = byte.MaxValue,
        Int16 = short.MinValue,
        UInt16 = ushort.MaxValue,
        Int32 = int.MinValue,
        UInt32 = uint.MaxValue,
        Int64 = long.MinValue,
        UInt64 = ulong.MaxValue,
        Int128 = Int128.MinValue,
        UInt128 = UInt128.MaxValue,
        Half = (Half)(-2.5),
        Single = float.MaxValue,
        Double = Math.PI,
        Decimal = decimal.MinValue,
        Char = '\u00fc',
        String = "h\u00e9llo\0w\ud83d\ude00rld",
        Bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(),
        ReadOnlyMemory = new byte[] { 1, 2, 3 },
        Memory = new byte[] { 4, 5 },
        Guid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"),
        DateTime = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1),
        DateTimeOffset = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-90)).AddTicks(1234),
        DateOnly = new DateOnly(1, 1, 1),
        TimeOnly = new TimeOnly(23, 59, 59, 999),
        TimeSpan = TimeSpan.FromDays(-3.5),
        Color = Color.Green,
        Permissions = Permissions.Write | Permissions.Admin,
        Signed = Signed.Minus,
        NullableInt = 7,
        NullableGuid = Guid.Parse("ffffffff-ffff-ffff-ffff-fffffffffffe"),
        NullableColor = Color.Red,
        NullablePoint = new MutablePoint { X = 1, Y = 2 },
        Array = [int.MinValue, 0, int.MaxValue],
        List = ["a", null!, "c"],
        IList = [1, 2],
        ICollection = [3],
        IEnumerable = [4, 5, 6],
        IReadOnlyList = [new Price("p", 0.01m)],
        IReadOnlyCollection = [long.MaxValue],
        HashSet = ["x", "y"],
        ISet = new HashSet<int> { 1 },
        IReadOnlySet = new HashSet<int> { 2, 3 },
        Dictionary = new() { ["one"] = 1, ["two"] = 2 },
        IDictionary = new Dictionary<string, Price> { ["p"] = new Price("P", 1.5m) },
        IReadOnlyDictionary = new Dictionary<string, List<int>> { ["primes"] = [2, 3, 5, 7] },
        Point = new MutablePoint { X = -1, Y = -2 },
        ReadonlyPoint = new ReadonlyPoint(3, 4),
        Price = new Price("Q", -0.5m),
        PublicField = 99,
    };
}
