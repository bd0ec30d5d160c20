using Npgsql;

namespace HydrateCache.Postgres;

/// <summary>Thrown when the PostgreSQL transport cannot publish or subscribe because of the server or the connection.</summary>
/// <remarks>
/// The underlying Npgsql error, when there is one, is the <see cref="Exception.InnerException"/>.
/// <see cref="HydrateCacheException.IsTransient"/> is <see langword="true"/> when that cause is a transient Npgsql error
/// (<see cref="NpgsqlException.IsTransient"/>: a broken connection, a server shutting down, a timeout) or a <see cref="TimeoutException"/>.
/// </remarks>
public sealed class PostgresTransportException : HydrateCacheException
{
    /// <summary>Initializes a new instance of the <see cref="PostgresTransportException"/> class.</summary>
    public PostgresTransportException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgresTransportException"/> class with a message.</summary>
    /// <param name="message">The message that describes the error.</param>
    public PostgresTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgresTransportException"/> class with a message and the exception that caused it.</summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The exception that caused this one; it decides <see cref="HydrateCacheException.IsTransient"/>.</param>
    public PostgresTransportException(string message, Exception? innerException)
        : base(message, innerException, innerException is NpgsqlException { IsTransient: true } or TimeoutException)
    {
    }
}
