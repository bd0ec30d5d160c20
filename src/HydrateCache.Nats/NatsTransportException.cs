namespace HydrateCache.Nats;

/// <summary>
/// Thrown when the NATS client fails a publish or a subscribe of a <see cref="NatsTransport"/>. The NATS.Net exception
/// is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class NatsTransportException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="NatsTransportException"/> class.</summary>
    public NatsTransportException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NatsTransportException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public NatsTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NatsTransportException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">
    /// The exception that caused this one. It decides <see cref="HydrateCacheException.IsTransient"/>: <see langword="true"/>
    /// when it is a connection failure or a timeout (the connection may come back and the operation succeed);
    /// <see langword="false"/> otherwise, for example when the connection was disposed.
    /// </param>
    public NatsTransportException(string message, Exception? innerException)
        : base(message, innerException, IsTransientCause(innerException))
    {
    }

    private static bool IsTransientCause(Exception? exception) => exception switch
    {
        null => false,
        ObjectDisposedException => false,
        TimeoutException => true,
        OperationCanceledException => true, // not the caller's token: a NATS.Net timeout (CommandTimeout, PublishTimeoutOnDisconnected)
        NATS.Client.Core.NatsConnectionFailedException => true,
        NATS.Client.Core.NatsTimeoutException => true,
        System.Net.Sockets.SocketException => true,
        IOException => true,
        _ => false,
    };
}
