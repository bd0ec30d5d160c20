namespace HydrateCache.Tests.Codec;

#pragma warning disable CA1051, CA1819, CA2227, IDE1006 // Test models: public fields, array properties, settable collections and lowercase names are deliberate.

public sealed record Price(string Symbol, decimal Value);

public sealed record KeyedPrice([property: CborKey(1)] string Symbol, [property: CborKey(2)] decimal Value);

public sealed class KeyedItem
{
    [CborKey(1)]
    public string? Name { get; set; }

    [CborKey(2)]
    public int Count { get; set; }
}

public sealed class IntKeyMap
{
    [CborKey(3)]
    public int B { get; set; }

    [CborKey(1)]
    public int A { get; set; }
}

public sealed class MixedKeys
{
    public string Name { get; set; } = string.Empty;

    [CborKey(2)]
    public int Second { get; set; }

    [CborKey(-1)]
    public int Negative { get; set; }

    public bool Flag { get; set; }

    [CborKey(1)]
    public int First { get; set; }
}

public sealed record LowerAB(int a, int[] b);

public sealed record FunAmt(bool Fun, int Amt);

public sealed class Settings
{
    public string Name { get; init; } = "default";

    public int Retries { get; init; } = 3;

    public List<string> Tags { get; set; } = [];

    public string Computed => Name + "/" + Retries;
}

public struct MutablePoint
{
    public int X;
    public int Y;
}

public readonly struct ReadonlyPoint(int x, int y)
{
    public int X { get; } = x;

    public int Y { get; } = y;
}

public readonly record struct Tick(string Symbol, double Bid, double Ask);

public sealed class LinkedNode
{
    public int Value { get; set; }

    public LinkedNode? Next { get; set; }
}

public sealed class Employee
{
    public string Name { get; set; } = string.Empty;

    public Department? Department { get; set; }
}

public sealed class Department
{
    public string Title { get; set; } = string.Empty;

    public Employee? Head { get; set; }
}

public sealed class TreeNode
{
    public string Name { get; set; } = string.Empty;

    public List<TreeNode> Children { get; set; } = [];
}

public enum Color : byte
{
    Red = 1,
    Green = 2,
}

[Flags]
public enum Permissions : long
{
    None = 0,
    Read = 1,
    Write = 2,
    Admin = 1L << 40,
}

public enum Signed : sbyte
{
    Minus = -1,
    Plus = 1,
}

public sealed record WithDefaults(string Name, int Retries = 3, Color Color = Color.Green, decimal Ratio = 0.5m, int? Limit = 7);

public sealed class WithIgnored
{
    public int Kept { get; set; }

    [CborIgnore]
    public int Ignored { get; set; } = 42;
}

public sealed record IgnoredPositional(string Name, [property: CborIgnore] int Secret);

public class BaseEntity
{
    public int Id { get; set; }

    public string Tag { get; set; } = string.Empty;
}

public sealed class DerivedEntity : BaseEntity
{
    public string Extra { get; set; } = string.Empty;
}

public sealed class ChosenConstructor
{
    public ChosenConstructor()
    {
        Source = "parameterless";
    }

    [CborConstructor]
    public ChosenConstructor(int value)
    {
        Value = value;
        Source = "marked";
    }

    public int Value { get; }

    [CborIgnore]
    public string Source { get; }
}

public sealed class MostParameters
{
    public MostParameters()
    {
        Source = "parameterless";
    }

    public MostParameters(string name, int count)
    {
        Name = name;
        Count = count;
        Source = "full";
    }

    public string Name { get; set; } = string.Empty;

    public int Count { get; set; }

    [CborIgnore]
    public string Source { get; set; }
}

public sealed class ValidatingRecordHolder
{
    public ValidatingRecordHolder(int percent)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        Percent = percent;
    }

    public int Percent { get; }
}

public sealed record V1(string Name, int Count);

public sealed record V2(string Name, int Count, string Extra, Price Nested, List<int> More);

public sealed class Defaults
{
    public string Name { get; set; } = "unset";

    public int Count { get; set; } = -1;

    public List<int> Items { get; set; } = [9];
}

public sealed class Line
{
    public string Sku { get; set; } = string.Empty;

    public int Quantity { get; set; }

    public decimal UnitPrice { get; set; }
}

public sealed record Order(Guid Id, string Customer, List<Line> Lines, Dictionary<string, string> Attributes, DateTimeOffset PlacedAt);

public sealed class AllTypes
{
    public bool Bool { get; set; }
    public sbyte SByte { get; set; }
    public byte Byte { get; set; }
    public short Int16 { get; set; }
    public ushort UInt16 { get; set; }
    public int Int32 { get; set; }
    public uint UInt32 { get; set; }
    public long Int64 { get; set; }
    public ulong UInt64 { get; set; }
    public Int128 Int128 { get; set; }
    public UInt128 UInt128 { get; set; }
    public Half Half { get; set; }
    public float Single { get; set; }
    public double Double { get; set; }
    public decimal Decimal { get; set; }
    public char Char { get; set; }
    public string? String { get; set; }
    public byte[]? Bytes { get; set; }
    public ReadOnlyMemory<byte> ReadOnlyMemory { get; set; }
    public Memory<byte> Memory { get; set; }
    public Guid Guid { get; set; }
    public DateTime DateTime { get; set; }
    public DateTimeOffset DateTimeOffset { get; set; }
    public DateOnly DateOnly { get; set; }
    public TimeOnly TimeOnly { get; set; }
    public TimeSpan TimeSpan { get; set; }
    public Color Color { get; set; }
    public Permissions Permissions { get; set; }
    public Signed Signed { get; set; }
    public int? NullableInt { get; set; }
    public Guid? NullableGuid { get; set; }
    public Color? NullableColor { get; set; }
    public MutablePoint? NullablePoint { get; set; }
    public int[]? Array { get; set; }
    public List<string>? List { get; set; }
    public IList<int>? IList { get; set; }
    public ICollection<int>? ICollection { get; set; }
    public IEnumerable<int>? IEnumerable { get; set; }
    public IReadOnlyList<Price>? IReadOnlyList { get; set; }
    public IReadOnlyCollection<long>? IReadOnlyCollection { get; set; }
    public HashSet<string>? HashSet { get; set; }
    public ISet<int>? ISet { get; set; }
    public IReadOnlySet<int>? IReadOnlySet { get; set; }
    public Dictionary<string, int>? Dictionary { get; set; }
    public IDictionary<string, Price>? IDictionary { get; set; }
    public IReadOnlyDictionary<string, List<int>>? IReadOnlyDictionary { get; set; }
    public MutablePoint Point { get; set; }
    public ReadonlyPoint ReadonlyPoint { get; set; }
    public Price? Price { get; set; }
    public int PublicField;
}

internal sealed record InternalRecord(int X, string Y);

// Unsupported shapes: each must fail when the codec is constructed.
public sealed class BadOrder
{
    public List<BadLine> Lines { get; set; } = [];
}

public sealed class BadLine
{
    public object? Meta { get; set; }
}

public sealed class HasInterface
{
    public IComparable? Comparable { get; set; }
}

public sealed class HasIntKeyedDictionary
{
    public Dictionary<int, string>? ByNumber { get; set; }
}

public sealed class HasDelegate
{
    public Action? Callback { get; set; }
}

public sealed class HasNoUsableConstructor(int seed)
{
    public int Value { get; set; } = seed;
}

public abstract class AbstractShape
{
    public int Sides { get; set; }
}

public sealed class HasAbstract
{
    public AbstractShape? Shape { get; set; }
}

public sealed class HasMultiDimensional
{
    public int[,]? Grid { get; set; }
}

public sealed class HasDuplicateKeys
{
    [CborKey(1)]
    public int Alpha { get; set; }

    [CborKey(1)]
    public int Beta { get; set; }
}

public sealed class HasUri
{
    public Uri? Link { get; set; }
}

public sealed class HasNestedBadDictionaryValue
{
    public Dictionary<string, List<object>>? Bag { get; set; }
}

public sealed class HasCustomCollection
{
    public System.Collections.ObjectModel.Collection<int>? Items { get; set; }
}

public sealed class HasReadOnlyKeyed
{
    [CborKey(1)]
    public int Computed => 5;
}

public sealed class HasAmbiguousConstructors
{
    public HasAmbiguousConstructors(int a)
    {
        A = a;
    }

    public HasAmbiguousConstructors(string b)
    {
        B = b;
    }

    public int A { get; }

    public string? B { get; }
}

public sealed class RecursiveBad
{
    public List<RecursiveBad> Children { get; set; } = [];

    public object? Payload { get; set; }
}
