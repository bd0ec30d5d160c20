using System.Buffers;

namespace HydrateCache;

/// <summary>
/// Turns values of <typeparamref name="T"/> into payload bytes and back. A channel uses one codec for every message it
/// publishes; the codec's <see cref="Id"/> travels in each envelope so a receiver can reject a payload written by another codec.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// Implementations must be thread-safe: a channel encodes and decodes concurrently from many threads.
/// <see cref="Decode(ReadOnlySpan{byte})"/> receives bytes from the network and must throw (any exception, preferably
/// <see cref="HydrateCodecException"/>) on malformed input rather than return a half-built value; the channel turns the
/// exception into a counted, logged drop.
/// </remarks>
public interface ICodec<T>
{
    /// <summary>
    /// Gets the identifier written into every envelope, for example <c>"cbor"</c> or <c>"json"</c>.
    /// Receivers drop messages whose codec id differs from theirs.
    /// </summary>
    string Id { get; }

    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <param name="value">The value to encode.</param>
    /// <param name="destination">The buffer that receives the encoded bytes.</param>
    void Encode(T value, IBufferWriter<byte> destination);

    /// <summary>Reads a value previously written by <see cref="Encode(T, IBufferWriter{byte})"/>.</summary>
    /// <param name="source">The encoded bytes.</param>
    /// <returns>The decoded value.</returns>
    T Decode(ReadOnlySpan<byte> source);
}
