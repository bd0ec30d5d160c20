namespace HydrateCache;

/// <summary>
/// Makes <see cref="CborCodec{T}"/> write a property or field under an integer map key instead of its name, the way
/// Go's <c>cbor:"1,keyasint"</c> tag does. Integer keys are shorter on the wire and survive renames.
/// </summary>
/// <remarks>
/// Keys must be unique within a type (including inherited members); a duplicate makes the codec constructor throw
/// <see cref="HydrateCodecException"/>. Negative keys are allowed. For a positional record, target the generated property:
/// <c>record Price([property: CborKey(1)] string Symbol, [property: CborKey(2)] decimal Value);</c>.
/// </remarks>
/// <param name="key">The integer map key.</param>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = true)]
public sealed class CborKeyAttribute(int key) : Attribute
{
    /// <summary>Gets the integer map key the member is written under.</summary>
    /// <value>The key passed to the constructor.</value>
    public int Key { get; } = key;
}
