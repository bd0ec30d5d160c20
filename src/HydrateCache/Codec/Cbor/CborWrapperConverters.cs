using System.Formats.Cbor;
using System.Runtime.CompilerServices;

namespace HydrateCache.Codec.Cbor;

/// <summary><see cref="Nullable{T}"/>: CBOR null, or the value as <typeparamref name="T"/> writes it.</summary>
internal sealed class CborNullableConverter<T> : CborConverter<T?>
    where T : struct
{
    private readonly CborConverter<T> _inner;

    public CborNullableConverter(CborConverter<T> inner)
    {
        _inner = inner;
    }

    public override void Write(CborWriter writer, T? value)
    {
        if (value.HasValue)
        {
            _inner.Write(writer, value.GetValueOrDefault());
        }
        else
        {
            writer.WriteNull();
        }
    }

    public override T? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        return _inner.Read(reader);
    }
}

/// <summary>Enums as their underlying integer; values without a named member are kept as they are (flags).</summary>
internal sealed class CborEnumConverter<TEnum, TUnderlying> : CborConverter<TEnum>
    where TEnum : struct, Enum
    where TUnderlying : struct
{
    private readonly CborConverter<TUnderlying> _inner;

    public CborEnumConverter(CborConverter<TUnderlying> inner)
    {
        _inner = inner;
    }

    public override void Write(CborWriter writer, TEnum value) => _inner.Write(writer, Unsafe.As<TEnum, TUnderlying>(ref value));

    public override TEnum Read(CborReader reader)
    {
        var value = _inner.Read(reader);
        return Unsafe.As<TUnderlying, TEnum>(ref value);
    }
}
