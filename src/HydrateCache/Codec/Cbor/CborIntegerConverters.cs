using System.Buffers.Binary;
using System.Formats.Cbor;

namespace HydrateCache.Codec.Cbor;

// Integers are CBOR major types 0 and 1; CborWriter always picks the shortest argument encoding.
// Reading rejects values outside the target range with an OverflowException, which the codec wraps.

internal sealed class CborBooleanConverter : CborConverter<bool>
{
    public override void Write(CborWriter writer, bool value) => writer.WriteBoolean(value);

    public override bool Read(CborReader reader) => reader.ReadBoolean();
}

internal sealed class CborSByteConverter : CborConverter<sbyte>
{
    public override void Write(CborWriter writer, sbyte value) => writer.WriteInt32(value);

    public override sbyte Read(CborReader reader)
    {
        var value = reader.ReadInt32();
        if (value < sbyte.MinValue || value > sbyte.MaxValue)
        {
            CborThrow.OutOfRange(typeof(sbyte));
        }

        return (sbyte)value;
    }
}

internal sealed class CborByteConverter : CborConverter<byte>
{
    public override void Write(CborWriter writer, byte value) => writer.WriteUInt32(value);

    public override byte Read(CborReader reader)
    {
        var value = reader.ReadUInt32();
        if (value > byte.MaxValue)
        {
            CborThrow.OutOfRange(typeof(byte));
        }

        return (byte)value;
    }
}

internal sealed class CborInt16Converter : CborConverter<short>
{
    public override void Write(CborWriter writer, short value) => writer.WriteInt32(value);

    public override short Read(CborReader reader)
    {
        var value = reader.ReadInt32();
        if (value < short.MinValue || value > short.MaxValue)
        {
            CborThrow.OutOfRange(typeof(short));
        }

        return (short)value;
    }
}

internal sealed class CborUInt16Converter : CborConverter<ushort>
{
    public override void Write(CborWriter writer, ushort value) => writer.WriteUInt32(value);

    public override ushort Read(CborReader reader)
    {
        var value = reader.ReadUInt32();
        if (value > ushort.MaxValue)
        {
            CborThrow.OutOfRange(typeof(ushort));
        }

        return (ushort)value;
    }
}

internal sealed class CborInt32Converter : CborConverter<int>
{
    public override void Write(CborWriter writer, int value) => writer.WriteInt32(value);

    public override int Read(CborReader reader) => reader.ReadInt32();
}

internal sealed class CborUInt32Converter : CborConverter<uint>
{
    public override void Write(CborWriter writer, uint value) => writer.WriteUInt32(value);

    public override uint Read(CborReader reader) => reader.ReadUInt32();
}

internal sealed class CborInt64Converter : CborConverter<long>
{
    public override void Write(CborWriter writer, long value) => writer.WriteInt64(value);

    public override long Read(CborReader reader) => reader.ReadInt64();
}

internal sealed class CborUInt64Converter : CborConverter<ulong>
{
    public override void Write(CborWriter writer, ulong value) => writer.WriteUInt64(value);

    public override ulong Read(CborReader reader) => reader.ReadUInt64();
}

/// <summary>
/// <see cref="Int128"/>: a plain CBOR integer when it lies within [-2^64, 2^64 - 1] (the range of major types 0 and 1),
/// otherwise a tag 2 (positive) or tag 3 (negative) bignum, as RFC 8949 section 3.4.3 describes.
/// </summary>
internal sealed class CborInt128Converter : CborConverter<Int128>
{
    public override void Write(CborWriter writer, Int128 value)
    {
        if (value >= 0)
        {
            CborBignum.WriteUnsigned(writer, (UInt128)value, negative: false);
        }
        else
        {
            // CBOR stores a negative n as -1 - n; ~value is exactly that magnitude.
            CborBignum.WriteUnsigned(writer, (UInt128)(~value), negative: true);
        }
    }

    public override Int128 Read(CborReader reader)
    {
        var magnitude = CborBignum.Read(reader, out var negative);
        if (magnitude > (UInt128)Int128.MaxValue)
        {
            CborThrow.OutOfRange(typeof(Int128));
        }

        return negative ? ~(Int128)magnitude : (Int128)magnitude;
    }
}

/// <summary><see cref="UInt128"/>: a plain CBOR integer up to 2^64 - 1, otherwise a tag 2 bignum.</summary>
internal sealed class CborUInt128Converter : CborConverter<UInt128>
{
    public override void Write(CborWriter writer, UInt128 value) => CborBignum.WriteUnsigned(writer, value, negative: false);

    public override UInt128 Read(CborReader reader)
    {
        var magnitude = CborBignum.Read(reader, out var negative);
        if (negative)
        {
            CborThrow.OutOfRange(typeof(UInt128));
        }

        return magnitude;
    }
}

/// <summary>Integers wider than 64 bits: plain major type 0/1 when they fit, tag 2/3 bignums otherwise.</summary>
internal static class CborBignum
{
    /// <summary>
    /// Writes the integer whose CBOR argument is <paramref name="argument"/>: the value itself when
    /// <paramref name="negative"/> is false, or -1 - argument when it is true.
    /// </summary>
    public static void WriteUnsigned(CborWriter writer, UInt128 argument, bool negative)
    {
        if (argument <= ulong.MaxValue)
        {
            if (negative)
            {
                writer.WriteCborNegativeIntegerRepresentation((ulong)argument);
            }
            else
            {
                writer.WriteUInt64((ulong)argument);
            }

            return;
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, argument);
        var start = 0;
        while (start < bytes.Length - 1 && bytes[start] == 0)
        {
            start++;
        }

        writer.WriteTag(negative ? CborTag.NegativeBigNum : CborTag.UnsignedBigNum);
        writer.WriteByteString(bytes[start..]);
    }

    /// <summary>Reads a plain integer or a tag 2/3 bignum and returns its CBOR argument (see <see cref="WriteUnsigned"/>).</summary>
    public static UInt128 Read(CborReader reader, out bool negative)
    {
        var state = reader.PeekState();
        switch (state)
        {
            case CborReaderState.UnsignedInteger:
                negative = false;
                return reader.ReadUInt64();
            case CborReaderState.NegativeInteger:
                negative = true;
                return reader.ReadCborNegativeIntegerRepresentation();
            case CborReaderState.Tag:
                var tag = reader.ReadTag();
                if (tag != CborTag.UnsignedBigNum && tag != CborTag.NegativeBigNum)
                {
                    CborThrow.UnexpectedTag(tag, "an integer or a bignum (tag 2 or 3)");
                }

                negative = tag == CborTag.NegativeBigNum;
                var bytes = reader.ReadByteString().AsSpan();
                var start = 0;
                while (start < bytes.Length && bytes[start] == 0)
                {
                    start++;
                }

                bytes = bytes[start..];
                if (bytes.Length > 16)
                {
                    CborThrow.Invalid("The CBOR bignum is wider than 128 bits.");
                }

                Span<byte> padded = stackalloc byte[16];
                padded.Clear();
                bytes.CopyTo(padded[(16 - bytes.Length)..]);
                return BinaryPrimitives.ReadUInt128BigEndian(padded);
            default:
                CborThrow.UnexpectedItem(state, "an integer");
                negative = false;
                return 0;
        }
    }
}
