namespace HydrateCache;

/// <summary>Describes a change of a transport's connection state.</summary>
public sealed class TransportConnectionEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="TransportConnectionEventArgs"/> class.</summary>
    /// <param name="isConnected"><see langword="true"/> when the connection (and every subscription) is back; <see langword="false"/> when it was lost.</param>
    /// <param name="exception">The error that broke the connection, when known.</param>
    public TransportConnectionEventArgs(bool isConnected, Exception? exception = null)
    {
        IsConnected = isConnected;
        Exception = exception;
    }

    /// <summary>Gets a value indicating whether the transport is connected (and resubscribed) now.</summary>
    public bool IsConnected { get; }

    /// <summary>Gets the error that broke the connection, when known.</summary>
    public Exception? Exception { get; }
}
