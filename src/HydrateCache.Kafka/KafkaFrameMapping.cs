using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace HydrateCache.Kafka;

/// <summary>Maps a HydrateCache frame onto a Kafka message key and headers (the value is always the whole frame).</summary>
internal static class KafkaFrameMapping
{
    /// <summary>The frame kind: "upsert", "delete" or "invalidate".</summary>
    public const string KindHeader = "hc-kind";

    /// <summary>The version (hybrid timestamp) as "physicalMs.counter".</summary>
    public const string VersionHeader = "hc-version";

    /// <summary>The sender id (a GUID, "D" format).</summary>
    public const string SenderHeader = "hc-sender";

    /// <summary>The sender's sequence number, decimal.</summary>
    public const string SequenceHeader = "hc-seq";

    /// <summary>The start of the TTL as Unix milliseconds, decimal; only when the frame has a TTL.</summary>
    public const string TtlStartHeader = "hc-ttl-start";

    /// <summary>The TTL duration in milliseconds, decimal; only when the frame has a TTL.</summary>
    public const string TtlDurationHeader = "hc-ttl-duration";

    /// <summary>The payload codec id; only for upserts.</summary>
    public const string CodecHeader = "hc-codec";

    /// <summary>Builds the Kafka message of <paramref name="frame"/>.</summary>
    /// <returns>The key (the UTF-8 cache key, <see langword="null"/> when <paramref name="frame"/> is not a valid frame) and the headers (<see langword="null"/> likewise).</returns>
    public static (byte[]? Key, Headers? Headers) Map(ReadOnlyMemory<byte> frame)
    {
        if (!HydrateFrame.TryReadMetadata(frame, out var metadata))
        {
            return (null, null);
        }

        var headers = new Headers
        {
            { KindHeader, Utf8(metadata.Kind switch { MessageKind.Delete => "delete", MessageKind.Invalidate => "invalidate", _ => "upsert" }) },
            { VersionHeader, Utf8(metadata.Version.ToString()) },
            { SenderHeader, Utf8(metadata.SenderId.ToString("D")) },
            { SequenceHeader, Utf8(metadata.Sequence.ToString(CultureInfo.InvariantCulture)) },
        };
        if (metadata.Ttl is { } ttl)
        {
            headers.Add(TtlStartHeader, Utf8(ttl.Start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
            headers.Add(TtlDurationHeader, Utf8(((long)ttl.Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        }

        if (metadata.CodecId is { } codecId)
        {
            headers.Add(CodecHeader, Utf8(codecId));
        }

        return (Encoding.UTF8.GetBytes(metadata.Key), headers);
    }

    private static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);
}
