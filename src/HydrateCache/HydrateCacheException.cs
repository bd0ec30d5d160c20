namespace HydrateCache;

/// <summary>
/// The base type of every exception that HydrateCache throws. Transports derive their own type from it.
/// </summary>
public class HydrateCacheException : Exception
{
    private readonly bool _isTransient;

    /// <summary>Initializes a new instance of the <see cref="HydrateCacheException"/> class.</summary>
    public HydrateCacheException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydrateCacheException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public HydrateCacheException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HydrateCacheException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public HydrateCacheException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="HydrateCacheException"/> class with a message, the exception that
    /// caused it and whether retrying may succeed: the constructor transport exceptions build on.
    /// </summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    /// <param name="isTransient">Whether retrying may succeed; the value of <see cref="IsTransient"/>.</param>
    protected HydrateCacheException(string message, Exception? innerException, bool isTransient)
        : base(message, innerException)
    {
        _isTransient = isTransient;
    }

    /// <summary>
    /// Gets a value indicating whether retrying the operation may succeed (a broken connection, a timeout), as opposed to
    /// an error that will repeat (bad configuration, an unsupported type, an oversized payload).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>, or to what the deriving exception passed to the constructor.</value>
    public virtual bool IsTransient => _isTransient;
}
