namespace HydrateCache.TestKit;

/// <summary>
/// The in-memory bus, plus connection events a test raises (<see cref="ITransport.ConnectionChanged"/>), for what a
/// channel does when its transport disconnects and reconnects. It does not own the bus.
/// </summary>
/// <param name="bus">The bus that carries the messages.</param>
public sealed class ReconnectingTransport(InMemoryTransport bus) : ITransport
{
    /// <inheritdoc />
    public event EventHandler<TransportConnectionEventArgs>? ConnectionChanged;

    /// <summary>Reports the connection lost.</summary>
    public void Disconnect() => ConnectionChanged?.Invoke(this, new TransportConnectionEventArgs(false));

    /// <summary>Reports the connection (and every subscription) back.</summary>
    public void Connect() => ConnectionChanged?.Invoke(this, new TransportConnectionEventArgs(true));

    /// <summary>Reports the connection lost, then back.</summary>
    public void Reconnect()
    {
        Disconnect();
        Connect();
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        bus.PublishAsync(topic, message, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ITransportSubscription> SubscribeAsync(string topic, TransportMessageHandler handler, CancellationToken cancellationToken = default) =>
        bus.SubscribeAsync(topic, handler, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
