using System.Text;

namespace HydrateCache.Nats;

/// <summary>
/// Builds and validates the NATS subject of a topic. A publish subject must be a literal: the server would treat
/// <c>*</c> and <c>&gt;</c> tokens as wildcards on subscribe, split the protocol line on whitespace, and reject empty
/// tokens, so such names are refused up front with an <see cref="ArgumentException"/> instead of misrouting silently.
/// </summary>
internal static class NatsSubject
{
    /// <summary>
    /// The longest subject accepted, in UTF-8 bytes. The server's default <c>max_control_line</c> is 4,096 bytes and a
    /// <c>PUB</c>/<c>HPUB</c>/<c>SUB</c> line carries about 30 bytes besides the subject; a longer line makes the server
    /// close the connection.
    /// </summary>
    public const int MaxSubjectBytes = 4000;

    /// <summary>Returns the subject of <paramref name="topic"/>, or throws <see cref="ArgumentException"/> naming <paramref name="paramName"/>.</summary>
    public static string FromTopic(string prefix, string topic, Encoding subjectEncoding, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic, paramName);
        var subject = prefix.Length == 0 ? topic : prefix + topic;
        var error = Validate(subject, subjectEncoding);
        if (error is not null)
        {
            ThrowInvalid(topic, subject, error, paramName);
        }

        return subject;
    }

    /// <summary>Validates a <see cref="NatsTransportOptions.TopicPrefix"/>: a subject that may end with a dot.</summary>
    public static void ValidatePrefix(string? prefix, Encoding subjectEncoding)
    {
        if (prefix is null)
        {
            throw new ArgumentException("NatsTransportOptions.TopicPrefix must not be null; use the empty string for no prefix.", "options");
        }

        if (prefix.Length == 0)
        {
            return;
        }

        var error = Validate(prefix.EndsWith('.') ? prefix + "x" : prefix, subjectEncoding);
        if (error is not null)
        {
            throw new ArgumentException($"NatsTransportOptions.TopicPrefix '{prefix}' is not a valid NATS subject prefix: {error}.", "options");
        }
    }

    /// <summary>Returns why <paramref name="subject"/> is not a valid literal NATS subject, or <see langword="null"/> when it is.</summary>
    public static string? Validate(string subject, Encoding subjectEncoding)
    {
        if (subject.Length == 0)
        {
            return "it is empty";
        }

        var tokenStart = true;
        var ascii = true;
        foreach (var c in subject)
        {
            if (c == '.')
            {
                if (tokenStart)
                {
                    return "it has an empty token (a leading '.', a trailing '.' or '..')";
                }

                tokenStart = true;
                continue;
            }

            tokenStart = false;
            if (c is '*' or '>')
            {
                return $"it contains the wildcard character '{c}', which a publish subject cannot have";
            }

            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return "it contains whitespace or a control character";
            }

            if (c > 0x7F)
            {
                ascii = false;
            }
        }

        if (tokenStart)
        {
            return "it has an empty token (a leading '.', a trailing '.' or '..')";
        }

        if (!ascii)
        {
            if (subjectEncoding.CodePage != Encoding.UTF8.CodePage && !RoundTrips(subject, subjectEncoding))
            {
                return $"it has characters that the connection's NatsOpts.SubjectEncoding ({subjectEncoding.WebName}) cannot encode; use UTF-8 (the NATS.Net default) or ASCII names";
            }

            if (GetStrictUtf8ByteCount(subject) < 0)
            {
                return "it is not valid UTF-16 (a lone surrogate)";
            }
        }

        var bytes = ascii ? subject.Length : subjectEncoding.GetByteCount(subject);
        if (bytes > MaxSubjectBytes)
        {
            return $"it is {bytes} bytes long; at most {MaxSubjectBytes} bytes fit the server's protocol line";
        }

        return null;
    }

    private static bool RoundTrips(string subject, Encoding encoding)
    {
        try
        {
            var strict = Encoding.GetEncoding(encoding.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return string.Equals(strict.GetString(strict.GetBytes(subject)), subject, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static int GetStrictUtf8ByteCount(string subject)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(subject);
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowInvalid(string topic, string subject, string error, string paramName)
    {
        var what = ReferenceEquals(topic, subject) ? $"The topic name '{topic}'" : $"The NATS subject '{subject}' of topic '{topic}'";
        throw new ArgumentException($"{what} is not a valid NATS publish subject: {error}.", paramName);
    }
}
