using Npgsql;

namespace HydrateCache.Postgres;

/// <summary>Thrown when the PostgreSQL transport cannot publish or subscribe because of the server or the connection.</summary>
/// <remarks>The underlying Npgsql error, when there is one, is the <see cref="Exception.InnerException"/>.</remarks>
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
    /// <param name="innerException">The exception that caused this one.</param>
    public PostgresTransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// Gets a value indicating whether retrying may succeed: <see langword="true"/> when the cause is a transient Npgsql
    /// error (<see cref="NpgsqlException.IsTransient"/>: a broken connection, a server shutting down, a timeout).
    /// </summary>
    public override bool IsTransient => InnerException is NpgsqlException { IsTransient: true } or TimeoutException;
}
