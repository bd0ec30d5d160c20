namespace HydrateCache;

/// <summary>
/// Selects the constructor that <see cref="CborCodec{T}"/> calls when it decodes a value of the declaring type.
/// </summary>
/// <remarks>
/// Without this attribute the codec picks the public constructor with the most parameters among those whose every
/// parameter matches a member (same name ignoring case, same type); a public parameterless constructor qualifies with zero.
/// Use the attribute to break a tie or to pick a non-public constructor. Every parameter of the marked constructor must
/// match a member, and at most one constructor per type may carry the attribute.
/// </remarks>
[AttributeUsage(AttributeTargets.Constructor, AllowMultiple = false, Inherited = false)]
public sealed class CborConstructorAttribute : Attribute
{
}
