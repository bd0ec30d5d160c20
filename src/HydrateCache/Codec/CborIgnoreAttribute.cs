namespace HydrateCache;

/// <summary>
/// Excludes a property or field from the CBOR map that <see cref="CborCodec{T}"/> writes and reads.
/// </summary>
/// <remarks>
/// An ignored member is neither written nor read. If a constructor parameter matches an ignored member, the parameter
/// receives its default value (the declared default if it has one) when a value is decoded.
/// </remarks>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = true)]
public sealed class CborIgnoreAttribute : Attribute
{
}
