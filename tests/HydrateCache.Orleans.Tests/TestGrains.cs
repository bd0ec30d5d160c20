
namespace HydrateCache.Orleans.Tests;

/// <summary>A cached value as user code would define it: a plain positional record, mapped by the default CBOR codec.</summary>
public sealed record PriceRecord(string Symbol, decimal Value);

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
