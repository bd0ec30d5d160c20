using Orleans.Streams;
using Orleans.Streams.Core;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// A cached value as user code would define it: a positional record, mapped by the default CBOR codec, and
/// serializable by Orleans so grains can receive it through the streams API.
/// </summary>
[GenerateSerializer]
public sealed record PriceRecord([property: Id(0)] string Symbol, [property: Id(1)] decimal Value);

/// <summary>What a <see cref="PriceWatcherGrain"/> received, in order.</summary>
[GenerateSerializer]
public sealed record WatchedUpdate([property: Id(0)] bool IsDelete, [property: Id(1)] decimal? Value, [property: Id(2)] long VersionPhysicalTime, [property: Id(3)] uint VersionCounter);

public interface IPriceWatcherGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<WatchedUpdate>> GetReceivedAsync();
}

/// <summary>A user grain that observes its key of the prices channel with the ordinary Orleans streams API.</summary>
[ImplicitStreamSubscription(HydrateClusterFixture.PricesChannel)]
public sealed class PriceWatcherGrain : Grain, IPriceWatcherGrain, IStreamSubscriptionObserver, IAsyncObserver<HydrateUpdate<PriceRecord>>
{
    private readonly List<WatchedUpdate> _received = [];

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<HydrateUpdate<PriceRecord>>().ResumeAsync(this);

    public Task OnNextAsync(HydrateUpdate<PriceRecord> item, StreamSequenceToken? token = null)
    {
        _received.Add(new WatchedUpdate(item.Kind == MessageKind.Delete, item.Value?.Value, item.Version!.Value.PhysicalTime, item.Version.Value.Counter));
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public Task<IReadOnlyList<WatchedUpdate>> GetReceivedAsync() => Task.FromResult<IReadOnlyList<WatchedUpdate>>([.. _received]);
}

public interface IPriceGrain : IGrainWithStringKey
{
    Task SetAsync(decimal value);

    Task SetWithTtlAsync(decimal value, TimeSpan ttl);

    /// <summary>Publishes and reads this silo's cache right after, in one call.</summary>
    Task<decimal?> SetAndReadLocalAsync(decimal value);

    Task RemoveAsync();

    /// <summary>Deletes through the Orleans stream API of the provider.</summary>
    Task RemoveThroughStreamAsync();

    Task<decimal?> ReadLocalAsync();

    Task<string> GetSiloAsync();
}

public sealed class PriceGrain(
    IHydratePublisher<PriceRecord> publisher,
    ILocalHydratedCache<PriceRecord> cache,
    ILocalSiloDetails silo) : Grain, IPriceGrain
{
    private string Symbol => this.GetPrimaryKeyString();

    public Task SetAsync(decimal value) => publisher.PublishAsync(Symbol, new PriceRecord(Symbol, value));

    public Task SetWithTtlAsync(decimal value, TimeSpan ttl) =>
        publisher.PublishAsync(Symbol, new PriceRecord(Symbol, value), new Ttl(DateTimeOffset.UtcNow, ttl));

    public async Task<decimal?> SetAndReadLocalAsync(decimal value)
    {
        await publisher.PublishAsync(Symbol, new PriceRecord(Symbol, value));
        return cache.TryGet(Symbol, out var price) ? price.Value : null;
    }

    public Task RemoveAsync() => publisher.RemoveAsync(Symbol);

    public Task RemoveThroughStreamAsync() =>
        this.GetStreamProvider(HydrateClusterFixture.Transport)
            .GetStream<HydrateUpdate<PriceRecord>>(StreamId.Create(HydrateClusterFixture.PricesChannel, Symbol))
            .OnNextAsync(HydrateUpdate<PriceRecord>.Delete());

    public Task<decimal?> ReadLocalAsync() => Task.FromResult(cache.TryGet(Symbol, out var price) ? price.Value : (decimal?)null);

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());
}
