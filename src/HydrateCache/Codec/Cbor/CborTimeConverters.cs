using System.Formats.Cbor;
using System.Globalization;
using System.Text;

namespace HydrateCache.Codec.Cbor;

/// <summary>
/// RFC 3339 date/time text (tag 0) and epoch seconds (tag 1), shared by the <see cref="DateTime"/> and
/// <see cref="DateTimeOffset"/> converters.
/// </summary>
internal static class CborDateTime
{
    private const int MaxTextLength = 64;

    /// <summary>Writes tag 0 and <c>yyyy-MM-ddTHH:mm:ss[.fffffff]</c> followed by <c>Z</c> or <c>±hh:mm</c>.</summary>
    /// <remarks>Formatted by hand: the custom format string path of <see cref="DateTime.TryFormat(Span{char}, out int, ReadOnlySpan{char}, IFormatProvider?)"/> is several times slower.</remarks>
    public static void Write(CborWriter writer, DateTime clock, TimeSpan offset)
    {
        Span<char> text = stackalloc char[34];
        clock.Deconstruct(out int year, out int month, out int day);
        Digits(text, 0, year, 4);
        text[4] = '-';
        Digits(text, 5, month, 2);
        text[7] = '-';
        Digits(text, 8, day, 2);
        text[10] = 'T';
        Digits(text, 11, clock.Hour, 2);
        text[13] = ':';
        Digits(text, 14, clock.Minute, 2);
        text[16] = ':';
        Digits(text, 17, clock.Second, 2);
        var length = 19;

        var fraction = (int)(clock.Ticks % TimeSpan.TicksPerSecond);
        if (fraction != 0)
        {
            var digits = 7;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            text[length++] = '.';
            Digits(text, length, fraction, digits);
            length += digits;
        }

        if (offset == TimeSpan.Zero)
        {
            text[length++] = 'Z';
        }
        else
        {
            var minutes = (int)offset.TotalMinutes;
            text[length++] = minutes < 0 ? '-' : '+';
            minutes = Math.Abs(minutes);
            Digits(text, length, minutes / 60, 2);
            text[length + 2] = ':';
            Digits(text, length + 3, minutes % 60, 2);
            length += 5;
        }

        writer.WriteTag(CborTag.DateTimeString);
        writer.WriteTextString(text[..length]);
    }

    private static void Digits(Span<char> text, int start, int value, int count)
    {
        for (var i = start + count - 1; i >= start; i--)
        {
            text[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    /// <summary>
    /// Reads tag 0 RFC 3339 text, tag 1 epoch seconds (integer or float), or the same two forms without their tag.
    /// </summary>
    public static DateTimeOffset Read(CborReader reader)
    {
        var state = reader.PeekState();
        if (state == CborReaderState.Tag)
        {
            var tag = reader.ReadTag();
            state = reader.PeekState();
            if (tag == CborTag.DateTimeString && IsText(state))
            {
                return ReadText(reader, state);
            }

            if (tag == CborTag.UnixTimeSeconds && IsNumber(state))
            {
                return ReadEpoch(reader);
            }

            CborThrow.UnexpectedTag(tag, "a date/time (tag 0 text or tag 1 number)");
        }

        if (IsText(state))
        {
            return ReadText(reader, state);
        }

        if (IsNumber(state))
        {
            return ReadEpoch(reader);
        }

        CborThrow.UnexpectedItem(state, "a date/time (tag 0 text or tag 1 number)");
        return default;
    }

    private static bool IsText(CborReaderState state) =>
        state is CborReaderState.TextString or CborReaderState.StartIndefiniteLengthTextString;

    private static bool IsNumber(CborReaderState state) =>
        state is CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger
            or CborReaderState.HalfPrecisionFloat or CborReaderState.SinglePrecisionFloat or CborReaderState.DoublePrecisionFloat;

    private static DateTimeOffset ReadText(CborReader reader, CborReaderState state)
    {
        if (state == CborReaderState.TextString)
        {
            return Parse(reader.ReadDefiniteLengthTextStringBytes().Span);
        }

        return Parse(Encoding.UTF8.GetBytes(reader.ReadTextString()));
    }

    private static DateTimeOffset ReadEpoch(CborReader reader)
    {
        long ticks;
        var state = reader.PeekState();
        if (state == CborReaderState.UnsignedInteger || state == CborReaderState.NegativeInteger)
        {
            ticks = checked(reader.ReadInt64() * TimeSpan.TicksPerSecond);
        }
        else
        {
            var seconds = reader.ReadDouble();
            var scaled = Math.Round(seconds * TimeSpan.TicksPerSecond);
            if (!double.IsFinite(scaled) || scaled < long.MinValue || scaled >= long.MaxValue)
            {
                CborThrow.OutOfRange(typeof(DateTime));
            }

            ticks = (long)scaled;
        }

        var epochTicks = DateTime.UnixEpoch.Ticks;
        if (ticks < -epochTicks || ticks > DateTime.MaxValue.Ticks - epochTicks)
        {
            CborThrow.OutOfRange(typeof(DateTime));
        }

        return new DateTimeOffset(epochTicks + ticks, TimeSpan.Zero);
    }

    /// <summary>Parses RFC 3339 <c>date-time</c>. Fractions beyond 7 digits (100 ns ticks) are truncated.</summary>
    public static DateTimeOffset Parse(ReadOnlySpan<byte> text)
    {
        if (text.Length < 20 || text.Length > MaxTextLength
            || text[4] != '-' || text[7] != '-' || (text[10] | 0x20) != 't' || text[13] != ':' || text[16] != ':')
        {
            CborThrow.Invalid("The CBOR date/time text is not an RFC 3339 date-time.");
        }

        var year = ParseDigits(text, 0, 4);
        var month = ParseDigits(text, 5, 2);
        var day = ParseDigits(text, 8, 2);
        var hour = ParseDigits(text, 11, 2);
        var minute = ParseDigits(text, 14, 2);
        var second = ParseDigits(text, 17, 2);

        var position = 19;
        long fraction = 0;
        if (text[position] == '.')
        {
            position++;
            var digits = 0;
            while (position < text.Length && (uint)(text[position] - '0') <= 9)
            {
                if (digits < 7)
                {
                    fraction = (fraction * 10) + (text[position] - '0');
                }

                digits++;
                position++;
            }

            if (digits == 0)
            {
                CborThrow.Invalid("The CBOR date/time text has an empty fraction.");
            }

            for (; digits < 7; digits++)
            {
                fraction *= 10;
            }
        }

        var offset = TimeSpan.Zero;
        if (position < text.Length && (text[position] | 0x20) == 'z')
        {
            position++;
        }
        else if (position + 6 == text.Length && (text[position] == '+' || text[position] == '-') && text[position + 3] == ':')
        {
            var offsetHours = ParseDigits(text, position + 1, 2);
            var offsetMinutes = ParseDigits(text, position + 4, 2);
            if (offsetHours > 23 || offsetMinutes > 59)
            {
                CborThrow.Invalid("The CBOR date/time text has an invalid offset.");
            }

            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (text[position] == '-')
            {
                offset = -offset;
            }

            position += 6;
        }

        if (position != text.Length)
        {
            CborThrow.Invalid("The CBOR date/time text is not an RFC 3339 date-time.");
        }

        if (month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            CborThrow.Invalid("The CBOR date/time text is out of range.");
        }

        var clock = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        return new DateTimeOffset(clock, offset);
    }

    private static int ParseDigits(ReadOnlySpan<byte> text, int start, int count)
    {
        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                CborThrow.Invalid("The CBOR date/time text is not an RFC 3339 date-time.");
            }

            value = (value * 10) + (int)digit;
        }

        return value;
    }
}

/// <summary>
/// <see cref="DateTime"/> as tag 0 RFC 3339 text in UTC with a <c>Z</c> suffix. Local values are converted to UTC;
/// unspecified values are taken to be UTC already. Decoded values have <see cref="DateTimeKind.Utc"/>.
/// </summary>
internal sealed class CborDateTimeConverter : CborConverter<DateTime>
{
    public override void Write(CborWriter writer, DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        CborDateTime.Write(writer, utc, TimeSpan.Zero);
    }

    public override DateTime Read(CborReader reader) => CborDateTime.Read(reader).UtcDateTime;
}

/// <summary><see cref="DateTimeOffset"/> as tag 0 RFC 3339 text that keeps the offset (<c>Z</c> for a zero offset).</summary>
internal sealed class CborDateTimeOffsetConverter : CborConverter<DateTimeOffset>
{
    public override void Write(CborWriter writer, DateTimeOffset value) => CborDateTime.Write(writer, value.DateTime, value.Offset);

    public override DateTimeOffset Read(CborReader reader) => CborDateTime.Read(reader);
}

/// <summary><see cref="TimeSpan"/> as a signed integer count of 100 ns ticks (<see cref="TimeSpan.Ticks"/>).</summary>
internal sealed class CborTimeSpanConverter : CborConverter<TimeSpan>
{
    public override void Write(CborWriter writer, TimeSpan value) => writer.WriteInt64(value.Ticks);

    public override TimeSpan Read(CborReader reader) => new(reader.ReadInt64());
}

/// <summary>
/// <see cref="DateOnly"/> as tag 1004 (RFC 8943) around <c>yyyy-MM-dd</c> text. Decoding also accepts untagged text
/// and tag 100 (days since 1970-01-01).
/// </summary>
internal sealed class CborDateOnlyConverter : CborConverter<DateOnly>
{
    private const CborTag FullDateTag = (CborTag)1004;
    private const CborTag EpochDaysTag = (CborTag)100;
    private static readonly int EpochDayNumber = new DateOnly(1970, 1, 1).DayNumber;

    public override void Write(CborWriter writer, DateOnly value)
    {
        Span<char> text = stackalloc char[10];
        value.TryFormat(text, out var length, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);
        writer.WriteTag(FullDateTag);
        writer.WriteTextString(text[..length]);
    }

    public override DateOnly Read(CborReader reader)
    {
        var state = reader.PeekState();
        if (state == CborReaderState.Tag)
        {
            var tag = reader.ReadTag();
            if (tag == EpochDaysTag)
            {
                var days = reader.ReadInt64();
                if (days < DateOnly.MinValue.DayNumber - EpochDayNumber || days > DateOnly.MaxValue.DayNumber - EpochDayNumber)
                {
                    CborThrow.OutOfRange(typeof(DateOnly));
                }

                return DateOnly.FromDayNumber((int)(EpochDayNumber + days));
            }

            if (tag != FullDateTag)
            {
                CborThrow.UnexpectedTag(tag, "a date (tag 1004 text or tag 100 days)");
            }
        }

        var text = reader.ReadTextString();
        if (!DateOnly.TryParseExact(text, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            CborThrow.Invalid("The CBOR date text is not an RFC 3339 full-date.");
        }

        return date;
    }
}

/// <summary><see cref="TimeOnly"/> as an unsigned integer count of 100 ns ticks since midnight.</summary>
internal sealed class CborTimeOnlyConverter : CborConverter<TimeOnly>
{
    public override void Write(CborWriter writer, TimeOnly value) => writer.WriteInt64(value.Ticks);

    public override TimeOnly Read(CborReader reader)
    {
        var ticks = reader.ReadInt64();
        if (ticks < 0 || ticks >= TimeSpan.TicksPerDay)
        {
            CborThrow.OutOfRange(typeof(TimeOnly));
        }

        return new TimeOnly(ticks);
    }
}
