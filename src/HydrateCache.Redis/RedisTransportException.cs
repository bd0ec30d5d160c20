namespace HydrateCache.Redis;

/// <summary>
/// Thrown by <see cref="RedisTransport"/> when Redis cannot carry out a publish or subscribe: the server cannot be reached
/// within the multiplexer's timeouts, the connection broke, or the server answered with an error. The StackExchange.Redis
/// exception is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class RedisTransportException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="RedisTransportException"/> class.</summary>
    public RedisTransportException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisTransportException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public RedisTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisTransportException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public RedisTransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RedisTransportException"/> class with the transient hint.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    /// <param name="isTransient"><see langword="true"/> for timeouts and connection failures, <see langword="false"/> for
    /// errors the server will repeat (authentication, configuration, protocol limits); the value of <see cref="HydrateCacheException.IsTransient"/>.</param>
    internal RedisTransportException(string message, Exception? innerException, bool isTransient)
        : base(message, innerException, isTransient)
    {
    }
}
