namespace HydrateCache;

/// <summary>Thrown when a message is larger than a transport or channel accepts.</summary>
public sealed class HydratePayloadTooLargeException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="HydratePayloadTooLargeException"/> class.</summary>
    public HydratePayloadTooLargeException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydratePayloadTooLargeException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public HydratePayloadTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydratePayloadTooLargeException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public HydratePayloadTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydratePayloadTooLargeException"/> class for a message of <paramref name="size"/> bytes.</summary>
    /// <param name="size">The size of the rejected message, in bytes.</param>
    /// <param name="limit">The largest size accepted, in bytes.</param>
    /// <param name="where">What rejected it, for example "in-memory transport" or "channel 'prices'".</param>
    public HydratePayloadTooLargeException(int size, int limit, string where)
        : base($"The message is {size} bytes; the {where} accepts at most {limit} bytes.")
    {
        Size = size;
        Limit = limit;
    }

    /// <summary>Gets the size of the rejected message, in bytes (0 when unknown).</summary>
    public int Size { get; }

    /// <summary>Gets the largest size accepted, in bytes (0 when unknown).</summary>
    public int Limit { get; }
}
