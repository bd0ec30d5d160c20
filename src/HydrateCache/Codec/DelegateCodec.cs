using System.Buffers;

namespace HydrateCache;

/// <summary>A codec made of two delegates, for codecs that already exist as functions (System.Text.Json, protobuf, ...).</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
public sealed class DelegateCodec<T> : ICodec<T>
{
    private readonly Func<T, byte[]> _encoder;
    private readonly Func<ReadOnlyMemory<byte>, T> _decoder;

    /// <summary>Initializes a new instance of the <see cref="DelegateCodec{T}"/> class.</summary>
    /// <param name="id">The codec id written into every envelope.</param>
    /// <param name="encoder">Turns a value into bytes.</param>
    /// <param name="decoder">Turns bytes back into a value; it should throw on malformed input.</param>
    public DelegateCodec(string id, Func<T, byte[]> encoder, Func<ReadOnlyMemory<byte>, T> decoder)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(decoder);
        Id = id;
        _encoder = encoder;
        _decoder = decoder;
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public void Encode(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(_encoder(value));
    }

    /// <inheritdoc />
    public T Decode(ReadOnlySpan<byte> source) => _decoder(source.ToArray());
}
