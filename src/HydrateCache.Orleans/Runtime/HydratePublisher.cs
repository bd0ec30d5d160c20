namespace HydrateCache.Orleans.Runtime;

/// <summary>Publishes through the channel runtime; on a silo the channel applies each write to the local cache first.</summary>
internal sealed class HydratePublisher<T>(HydrateChannelRuntime<T> runtime) : IHydratePublisher<T>
{
    public string Channel => runtime.Channel;

    public Task PublishAsync(string key, T value, Ttl? ttl = null, CancellationToken cancellationToken = default) =>
        runtime.TypedChannel.PublishAsync(key, value, ttl, cancellationToken).AsTask();

    public Task RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        runtime.TypedChannel.RemoveAsync(key, cancellationToken).AsTask();
}
