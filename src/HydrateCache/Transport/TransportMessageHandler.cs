namespace HydrateCache;

/// <summary>Handles one message received by a transport subscription.</summary>
/// <param name="message">The message. Its body is valid only until the returned task completes.</param>
/// <param name="cancellationToken">Signalled when the subscription is being disposed.</param>
/// <returns>A task that completes when the message is handled; the next message is delivered after it.</returns>
public delegate ValueTask TransportMessageHandler(TransportMessage message, CancellationToken cancellationToken);
