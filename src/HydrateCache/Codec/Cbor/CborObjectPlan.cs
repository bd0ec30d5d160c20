using System.Linq.Expressions;
using System.Reflection;

namespace HydrateCache.Codec.Cbor;

/// <summary>One member of an object as it appears in the CBOR map.</summary>
internal sealed class CborMemberPlan
{
    public CborMemberPlan(MemberInfo member, Type type, int? intKey)
    {
        Member = member;
        Type = type;
        IntKey = intKey;
    }

    /// <summary>Gets the C# member name, which is also the text key when <see cref="IntKey"/> is null.</summary>
    public string Name => Member.Name;

    public MemberInfo Member { get; }

    public Type Type { get; }

    public int? IntKey { get; }

    /// <summary>Gets or sets the constructor parameter position this member feeds, or -1 if it is assigned after construction.</summary>
    public int ConstructorParameter { get; set; } = -1;

    /// <summary>Gets or sets the converter of <see cref="Type"/>; set once the member types are resolved.</summary>
    public CborConverter? Converter { get; set; }
}

/// <summary>How a type is read and written as a CBOR map: its members in wire order and the constructor to call.</summary>
internal sealed class CborObjectPlan
{
    public CborObjectPlan(Type type, IReadOnlyList<CborMemberPlan> members, ConstructorInfo? constructor, IReadOnlyList<Expression> arguments)
    {
        Type = type;
        Members = members;
        Constructor = constructor;
        Arguments = arguments;
    }

    public Type Type { get; }

    /// <summary>Gets the members in the order they are written: integer keys ascending, then text keys in declaration order.</summary>
    public IReadOnlyList<CborMemberPlan> Members { get; }

    /// <summary>Gets the constructor to call, or null for a struct's default constructor.</summary>
    public ConstructorInfo? Constructor { get; }

    /// <summary>
    /// Gets, per constructor parameter, the value used when the payload lacks the member: the parameter's declared
    /// default or <c>default(T)</c>. Parameters that feed a member are overwritten with the member's local in the reader.
    /// </summary>
    public IReadOnlyList<Expression> Arguments { get; }
}
