using System.Buffers.Binary;
using System.Text;

namespace HydrateCache;

/// <summary>Binds a purpose label to a topic, for the signature domain and the encryption associated data.</summary>
internal static class SecurityLabel
{
    /// <summary>Returns <paramref name="label"/>, followed by the UTF-8 length of <paramref name="topic"/> (uint, big-endian) and its UTF-8 bytes.</summary>
    public static byte[] Bind(ReadOnlySpan<byte> label, string topic)
    {
        var topicLength = Encoding.UTF8.GetByteCount(topic);
        var bound = new byte[label.Length + 4 + topicLength];
        label.CopyTo(bound);
        BinaryPrimitives.WriteUInt32BigEndian(bound.AsSpan(label.Length), (uint)topicLength);
        Encoding.UTF8.GetBytes(topic, bound.AsSpan(label.Length + 4));
        return bound;
    }
}
