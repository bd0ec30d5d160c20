using System.Formats.Cbor;

namespace HydrateCache.Codec.Cbor;

/// <summary>Reads any CBOR number (float or integer) as a double, for the floating-point converters.</summary>
internal static class CborNumber
{
    public static double ReadDouble(CborReader reader)
    {
        var state = reader.PeekState();
        switch (state)
        {
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                return reader.ReadDouble();
            case CborReaderState.UnsignedInteger:
                return reader.ReadUInt64();
            case CborReaderState.NegativeInteger:
                return -1.0 - reader.ReadCborNegativeIntegerRepresentation();
            default:
                CborThrow.UnexpectedItem(state, "a number");
                return 0;
        }
    }
}

/// <summary>Half, float and double are written in the shortest of half/single/double precision that is exact.</summary>
internal sealed class CborHalfConverter : CborConverter<Half>
{
    public override void Write(CborWriter writer, Half value) => writer.WriteHalf(value);

    public override Half Read(CborReader reader)
    {
        var value = CborNumber.ReadDouble(reader);
        var result = (Half)value;
        if (Half.IsInfinity(result) && !double.IsInfinity(value))
        {
            CborThrow.OutOfRange(typeof(Half));
        }

        return result;
    }
}

internal sealed class CborSingleConverter : CborConverter<float>
{
    public override void Write(CborWriter writer, float value) => writer.WriteSingle(value);

    public override float Read(CborReader reader)
    {
        var value = CborNumber.ReadDouble(reader);
        var result = (float)value;
        if (float.IsInfinity(result) && !double.IsInfinity(value))
        {
            CborThrow.OutOfRange(typeof(float));
        }

        return result;
    }
}

internal sealed class CborDoubleConverter : CborConverter<double>
{
    public override void Write(CborWriter writer, double value) => writer.WriteDouble(value);

    public override double Read(CborReader reader) => CborNumber.ReadDouble(reader);
}

/// <summary>
/// <see cref="decimal"/> as an RFC 8949 section 3.4.4 decimal fraction: tag 4 around <c>[exponent, mantissa]</c> with
/// exponent = -scale, so the scale (1.50 vs 1.5) round-trips. The mantissa is a plain integer in its shortest form when
/// it fits in 64 bits and a tag 2/3 bignum otherwise. Decoding also accepts plain integers and floats.
/// </summary>
internal sealed class CborDecimalConverter : CborConverter<decimal>
{
    public override void Write(CborWriter writer, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0 && magnitude != 0;

        writer.WriteTag(CborTag.DecimalFraction);
        writer.WriteStartArray(2);
        writer.WriteInt32(-scale);
        CborBignum.WriteUnsigned(writer, negative ? magnitude - 1 : magnitude, negative);
        writer.WriteEndArray();
    }

    public override decimal Read(CborReader reader)
    {
        var state = reader.PeekState();
        switch (state)
        {
            case CborReaderState.Tag:
                return reader.ReadDecimal();
            case CborReaderState.UnsignedInteger:
                return reader.ReadUInt64();
            case CborReaderState.NegativeInteger:
                return -1m - reader.ReadCborNegativeIntegerRepresentation();
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                var value = reader.ReadDouble();
                if (!double.IsFinite(value))
                {
                    CborThrow.OutOfRange(typeof(decimal));
                }

                return (decimal)value;
            default:
                CborThrow.UnexpectedItem(state, "a decimal fraction (tag 4) or a number");
                return 0;
        }
    }
}

/// <summary>Text strings; every string is checked for unpaired surrogates, which UTF-8 cannot carry.</summary>
internal static class CborText
{
    public static void Write(CborWriter writer, string value)
    {
        // The span overload: CborWriter.WriteTextString(string) is several times slower for short strings.
        var text = value.AsSpan();
        ThrowIfInvalid(text);
        writer.WriteTextString(text);
    }

    public static void ThrowIfInvalid(ReadOnlySpan<char> value)
    {
        var i = value.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return;
        }

        for (; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                CborThrow.UnpairedSurrogate();
            }
        }
    }
}

internal sealed class CborStringConverter : CborConverter<string?>
{
    public override void Write(CborWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        CborText.Write(writer, value);
    }

    public override string? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        return reader.ReadTextString();
    }
}

/// <summary><see cref="char"/> as a text string holding exactly one UTF-16 code unit.</summary>
internal sealed class CborCharConverter : CborConverter<char>
{
    public override void Write(CborWriter writer, char value)
    {
        var text = new ReadOnlySpan<char>(in value);
        CborText.ThrowIfInvalid(text);
        writer.WriteTextString(text);
    }

    public override char Read(CborReader reader)
    {
        Span<char> buffer = stackalloc char[1];
        if (!reader.TryReadTextString(buffer, out var written) || written != 1)
        {
            CborThrow.Invalid("Expected a text string of exactly one UTF-16 code unit for a System.Char.");
        }

        return buffer[0];
    }
}

internal sealed class CborByteArrayConverter : CborConverter<byte[]?>
{
    public override void Write(CborWriter writer, byte[]? value)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        writer.WriteByteString(value);
    }

    public override byte[]? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        return reader.ReadByteString();
    }
}

internal sealed class CborReadOnlyMemoryConverter : CborConverter<ReadOnlyMemory<byte>>
{
    public override void Write(CborWriter writer, ReadOnlyMemory<byte> value) => writer.WriteByteString(value.Span);

    public override ReadOnlyMemory<byte> Read(CborReader reader) => reader.ReadByteString();
}

internal sealed class CborMemoryConverter : CborConverter<Memory<byte>>
{
    public override void Write(CborWriter writer, Memory<byte> value) => writer.WriteByteString(value.Span);

    public override Memory<byte> Read(CborReader reader) => reader.ReadByteString();
}

/// <summary>
/// <see cref="Guid"/> as tag 37 around a 16-byte byte string in RFC 9562 (network, big-endian) byte order, so
/// <c>00112233-4455-6677-8899-aabbccddeeff</c> is the bytes 00 11 22 ... ff. The tag is optional when decoding.
/// </summary>
internal sealed class CborGuidConverter : CborConverter<Guid>
{
    private const CborTag UuidTag = (CborTag)37;

    public override void Write(CborWriter writer, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        writer.WriteTag(UuidTag);
        writer.WriteByteString(bytes);
    }

    public override Guid Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Tag)
        {
            var tag = reader.ReadTag();
            if (tag != UuidTag)
            {
                CborThrow.UnexpectedTag(tag, "a UUID (tag 37)");
            }
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!reader.TryReadByteString(bytes, out var written) || written != 16)
        {
            CborThrow.Invalid("Expected a 16-byte byte string for a System.Guid.");
        }

        return new Guid(bytes, bigEndian: true);
    }
}
