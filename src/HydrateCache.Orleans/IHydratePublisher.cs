namespace HydrateCache.Orleans;

/// <summary>
/// Publishes updates of one channel from a grain, a silo service or a cluster client. Inject it next to
/// <see cref="ILocalHydratedCache{T}"/>; resolve it keyed by channel name when several channels share <typeparamref name="T"/>.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// On a silo, when a publish returns, that silo's <see cref="ILocalHydratedCache{T}"/> already shows the write
/// (read-your-writes); every other silo applies it when the transport delivers it.
/// </remarks>
public interface IHydratePublisher<T>
{
    /// <summary>Gets the channel name.</summary>
    string Channel { get; }

    /// <summary>Publishes a new value of <paramref name="key"/> to every silo.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <param name="value">The new value.</param>
    /// <param name="ttl">The lifetime of the value; <see langword="null"/> when it does not expire.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the update.</returns>
    Task PublishAsync(string key, T value, Ttl? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Publishes the deletion of <paramref name="key"/> to every silo.</summary>
    /// <param name="key">The cache key; not empty.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>A task that completes when the transport accepted the delete.</returns>
    Task RemoveAsync(string key, CancellationToken cancellationToken = default);
}
