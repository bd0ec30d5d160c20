using System.Text;

namespace HydrateCache.Postgres;

/// <summary>
/// Validates and quotes PostgreSQL identifiers: channel names for <c>LISTEN</c>/<c>UNLISTEN</c> and the payload table name.
/// Nothing a user passes in is ever concatenated into SQL unquoted.
/// </summary>
internal static class PostgresIdentifier
{
    /// <summary>The longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1). Longer ones are truncated by LISTEN and rejected by pg_notify.</summary>
    public const int MaxIdentifierBytes = 63;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Gets the number of UTF-8 bytes of <paramref name="value"/>, or -1 when it is not valid UTF-16 (a lone surrogate).</summary>
    public static int Utf8ByteCount(string value)
    {
        try
        {
            return StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            return -1;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="channel"/> is a usable channel name.</summary>
    /// <param name="channel">The full channel name (topic prefix included).</param>
    /// <param name="topic">The topic as the caller passed it, for the message.</param>
    /// <param name="paramName">The parameter to blame.</param>
    public static void ValidateChannel(string channel, string topic, string paramName)
    {
        if (channel.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The topic '{topic.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character, which a PostgreSQL channel name cannot hold.", paramName);
        }

        var bytes = Utf8ByteCount(channel);
        if (bytes < 0)
        {
            throw new ArgumentException("The topic is not a valid UTF-16 string (it contains a lone surrogate).", paramName);
        }

        if (bytes > MaxIdentifierBytes)
        {
            throw new ArgumentException(
                $"The PostgreSQL channel name for topic '{topic}' is {bytes} bytes (UTF-8, topic prefix included); PostgreSQL channel names hold at most {MaxIdentifierBytes} bytes.",
                paramName);
        }
    }

    /// <summary>Quotes <paramref name="identifier"/> as a PostgreSQL delimited identifier: <c>"name"</c>, embedded double quotes doubled.</summary>
    /// <param name="identifier">A validated identifier (no NUL).</param>
    /// <returns>The quoted identifier.</returns>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Parses a table name, <c>table</c> or <c>schema.table</c>, each part made of ASCII letters, digits and underscores and not
    /// starting with a digit, at most 63 bytes. Returns it quoted (so the case is kept as written).
    /// </summary>
    /// <param name="value">The table name.</param>
    /// <param name="paramName">The parameter or option to blame.</param>
    /// <returns>The quoted, possibly schema-qualified name, safe to put into SQL text.</returns>
    public static string QuoteTableName(string? value, string paramName)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException("The payload table name must not be empty.", paramName);
        }

        var parts = value.Split('.');
        if (parts.Length > 2)
        {
            throw new ArgumentException($"The payload table name '{value}' must be 'table' or 'schema.table'.", paramName);
        }

        foreach (var part in parts)
        {
            if (!IsSimpleIdentifier(part))
            {
                throw new ArgumentException(
                    $"The payload table name '{value}' is not valid: each part must be 1 to {MaxIdentifierBytes} ASCII letters, digits or underscores and must not start with a digit.",
                    paramName);
            }
        }

        return string.Join('.', parts.Select(Quote));
    }

    private static bool IsSimpleIdentifier(string part)
    {
        if (part.Length is 0 or > MaxIdentifierBytes || char.IsAsciiDigit(part[0]))
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
