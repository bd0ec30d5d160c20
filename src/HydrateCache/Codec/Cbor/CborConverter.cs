using System.Formats.Cbor;

namespace HydrateCache.Codec.Cbor;

/// <summary>The untyped view of a converter, used while a codec builds its plan.</summary>
internal abstract class CborConverter
{
    /// <summary>Gets the type this converter reads and writes.</summary>
    public abstract Type Type { get; }
}

/// <summary>
/// Reads and writes one CBOR data item as a <typeparamref name="T"/>. Converters are built once per codec instance,
/// are immutable afterwards and therefore thread-safe.
/// </summary>
/// <typeparam name="T">The .NET type.</typeparam>
internal abstract class CborConverter<T> : CborConverter
{
    public sealed override Type Type => typeof(T);

    /// <summary>Writes <paramref name="value"/> as exactly one data item.</summary>
    public abstract void Write(CborWriter writer, T value);

    /// <summary>Reads exactly one data item.</summary>
    public abstract T Read(CborReader reader);
}
