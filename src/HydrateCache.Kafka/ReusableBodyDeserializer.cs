using Confluent.Kafka;

namespace HydrateCache.Kafka;

/// <summary>
/// Copies each consumed value into a buffer that is reused for the next message of the same consumer. That is safe
/// because a subscription hands a message to its handler and waits for it before consuming the next one, and
/// <see cref="TransportMessage.Body"/> is only valid while the handler runs.
/// </summary>
internal sealed class ReusableBodyDeserializer : IDeserializer<ReadOnlyMemory<byte>>
{
    /// <summary>Values up to this size reuse the buffer; larger ones get their own array, so one big message does not pin memory.</summary>
    private const int MaxReusedBytes = 64 * 1024;

    private byte[] _buffer = new byte[1024];

    public ReadOnlyMemory<byte> Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull || data.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (data.Length > MaxReusedBytes)
        {
            return data.ToArray();
        }

        if (data.Length > _buffer.Length)
        {
            _buffer = new byte[Math.Min(MaxReusedBytes, Math.Max(data.Length, _buffer.Length * 2))];
        }

        data.CopyTo(_buffer);
        return _buffer.AsMemory(0, data.Length);
    }
}
