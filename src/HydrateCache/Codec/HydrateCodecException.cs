namespace HydrateCache;

/// <summary>
/// Thrown when a codec cannot encode or decode a value, or when a type cannot be handled by a codec at all
/// (for example an unsupported member type found when a CBOR codec is built).
/// </summary>
public sealed class HydrateCodecException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="HydrateCodecException"/> class.</summary>
    public HydrateCodecException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydrateCodecException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public HydrateCodecException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydrateCodecException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public HydrateCodecException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
