using System.Buffers.Text;
using System.Globalization;

namespace HydrateCache.Postgres;

/// <summary>
/// The text of a NOTIFY payload. PostgreSQL payloads are text and must be shorter than 8000 bytes, frames are binary:
/// <code>
/// b&lt;base64 of the frame&gt;   the frame itself (inline), for frames up to <see cref="MaxInlineFrameBytes"/> bytes
/// r&lt;decimal row id&gt;        a reference to a row of the payload table holding the frame (larger frames)
/// </code>
/// Every character is ASCII, so the byte length is the same in every server encoding. Anything else is rejected
/// (logged and dropped), never thrown out of the receive loop.
/// </summary>
internal static class PostgresPayload
{
    /// <summary>The marker of an inline frame.</summary>
    public const char InlineMarker = 'b';

    /// <summary>The marker of a reference to the payload table.</summary>
    public const char ReferenceMarker = 'r';

    /// <summary>The longest NOTIFY payload the transport sends, in characters (= bytes): PostgreSQL's limit is 7999, this leaves a margin.</summary>
    public const int MaxNotifyPayloadChars = 7900;

    /// <summary>The largest frame sent inline: the marker plus its base64 text fits in <see cref="MaxNotifyPayloadChars"/>. 5922 bytes.</summary>
    public const int MaxInlineFrameBytes = (MaxNotifyPayloadChars - 1) / 4 * 3;

    /// <summary>Encodes <paramref name="frame"/> (at most <see cref="MaxInlineFrameBytes"/> bytes) as an inline payload.</summary>
    public static string EncodeInline(ReadOnlyMemory<byte> frame) =>
        string.Create(1 + Base64.GetMaxEncodedToUtf8Length(frame.Length), frame, static (chars, state) =>
        {
            chars[0] = InlineMarker;
            Convert.TryToBase64Chars(state.Span, chars[1..], out _);
        });

    /// <summary>Parses a received payload. Never throws.</summary>
    /// <param name="payload">The NOTIFY payload.</param>
    /// <param name="frame">The frame of an inline payload.</param>
    /// <param name="rowId">The row id of a reference.</param>
    /// <returns>What the payload is.</returns>
    public static PostgresPayloadKind Parse(string? payload, out byte[]? frame, out long rowId)
    {
        frame = null;
        rowId = 0;
        if (string.IsNullOrEmpty(payload))
        {
            return PostgresPayloadKind.Invalid;
        }

        var text = payload.AsSpan(1);
        switch (payload[0])
        {
            case InlineMarker:
                if (text.Length % 4 != 0)
                {
                    return PostgresPayloadKind.Invalid;
                }

                var padding = text.Length == 0 ? 0 : text[^1] != '=' ? 0 : text[^2] != '=' ? 1 : 2;
                var buffer = new byte[(text.Length / 4 * 3) - padding];
                if (!Convert.TryFromBase64Chars(text, buffer, out var written) || written != buffer.Length)
                {
                    return PostgresPayloadKind.Invalid;
                }

                frame = buffer;
                return PostgresPayloadKind.Inline;

            case ReferenceMarker:
                if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out rowId))
                {
                    return PostgresPayloadKind.Reference;
                }

                return PostgresPayloadKind.Invalid;

            default:
                return PostgresPayloadKind.Invalid;
        }
    }
}

/// <summary>What a received NOTIFY payload holds.</summary>
internal enum PostgresPayloadKind
{
    /// <summary>Not a payload this transport writes (another writer, a newer version, corruption).</summary>
    Invalid,

    /// <summary>The frame itself.</summary>
    Inline,

    /// <summary>The id of a payload table row that holds the frame.</summary>
    Reference,
}
