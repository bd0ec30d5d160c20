using HydrateCache.Orleans.Runtime;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>A document too sensitive to broadcast: the channel carries its key and version only.</summary>
[GenerateSerializer]
public sealed record Document([property: Id(0)] string Id, [property: Id(1)] string Body);

public interface IDocumentGrain : IGrainWithStringKey
{
    Task SaveAsync(string body);

    /// <summary>Reads this silo's cache, loading from the source if an invalidation dropped the value.</summary>
    Task<string?> ReadAsync();

    Task<string> GetSiloAsync();
}

/// <summary>Writes the system of record first, then publishes, as a writer of an invalidate-only channel does.</summary>
public sealed class DocumentGrain(
    IHydratePublisher<Document> publisher,
    ILocalHydratedCache<Document> cache,
    DictionarySource<Document> source,
    ILocalSiloDetails silo) : Grain, IDocumentGrain
{
    private string Id => this.GetPrimaryKeyString();

    public Task SaveAsync(string body)
    {
        var document = new Document(Id, body);
        source.Write(Id, document);
        return publisher.PublishAsync(Id, document);
    }

    public async Task<string?> ReadAsync() => (await cache.GetOrLoadAsync(Id))?.Value.Body;

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());
}

/// <summary>A Redis cluster with an invalidate-only documents channel whose source every silo shares (one database).</summary>
public sealed class RedisInvalidationClusterFixture : RedisClusterFixture
{
    public const string DocumentsChannel = "documents";

    /// <summary>Gets the documents' system of record; it counts the single-key loads of all silos.</summary>
    public DictionarySource<Document> DocumentSource { get; } = new();

    protected override void ConfigureHydrate(HydrateCacheBuilder hydrate)
    {
        hydrate.Services.AddSingleton(DocumentSource);
        hydrate.AddChannel<Document>(DocumentsChannel, Transport, (_, options) =>
        {
            options.Source = DocumentSource;
            options.Invalidation.Mode = HydrateInvalidationMode.Always;
        });
    }

    internal HydrateChannelRuntime<Document> DocumentsOn(SiloAddress silo) =>
        Cluster.GetSiloServiceProvider(silo).GetRequiredKeyedService<HydrateChannelRuntime<Document>>(DocumentsChannel);
}

/// <summary>
/// Invalidate-only mode through the Orleans integration on a real transport: a grain publishes, every other silo's
/// worker drops its copy, and a read storm on every silo loads each key from the source once per silo.
/// </summary>
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Orleans")]
public sealed class RedisInvalidateOnlyTests : IClassFixture<RedisInvalidationClusterFixture>
{
    private const int Keys = 5;
    private const int ReadersPerKeyAndSilo = 200;
    private readonly RedisInvalidationClusterFixture _fixture;

    public RedisInvalidateOnlyTests(RedisInvalidationClusterFixture fixture)
    {
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GrainPublishesInvalidateOnly_EverySiloDropsTheOldValueAndLoadsEachKeyOnce()
    {
        var source = _fixture.DocumentSource;
        var keys = Enumerable.Range(0, Keys).Select(_ => $"doc-{Guid.NewGuid():N}").ToArray();
        var silos = _fixture.ActiveSilos.ToList();
        Assert.Equal(3, silos.Count);
        var publisherSilo = new Dictionary<string, string>();
        foreach (var key in keys)
        {
            var grain = _fixture.Cluster.Client.GetGrain<IDocumentGrain>(key);
            await grain.SaveAsync("v1");
            publisherSilo[key] = await grain.GetSiloAsync();
        }

        // Every silo reads v1: the publisher's silo holds it, the others load it.
        foreach (var silo in silos)
        {
            var cache = _fixture.CacheOn<Document>(silo);
            await Eventually.TrueAsync(() => keys.All(k => cache.TryGetEntry(k, out _) || _fixture.DocumentsOn(silo).Cache!.TryGetVersion(k, out _, out _)), "the v1 invalidations arrive");
            foreach (var key in keys)
            {
                Assert.Equal("v1", (await cache.GetOrLoadAsync(key, Ct))?.Value.Body);
            }
        }

        foreach (var key in keys)
        {
            await _fixture.Cluster.Client.GetGrain<IDocumentGrain>(key).SaveAsync("v2");
        }

        // Every silo but the publisher's dropped its old value; the publisher's holds the new one.
        bool IsPublisher(SiloAddress silo, string key) => publisherSilo[key] == silo.ToString();
        await Eventually.TrueAsync(
            () => silos.All(s => keys.All(k => IsPublisher(s, k)
                ? _fixture.CacheOn<Document>(s).TryGet(k, out var d) && d.Body == "v2"
                : !_fixture.CacheOn<Document>(s).TryGet(k, out _))),
            "every silo dropped v1");

        // Peer repair sees no difference: an invalidated entry digests like the value of its version.
        var digests = silos.Select(s => _fixture.DocumentsOn(s).GetDigest(256)).ToList();
        Assert.All(digests, d => Assert.Equal(digests[0], d));

        // The read storm: every reader of every key on every silo at once, while the source holds the loads.
        var loadsBefore = silos.ToDictionary(s => s, s => _fixture.DocumentsOn(s).TypedChannel.Statistics.KeyLoads);
        var sourceBefore = keys.ToDictionary(k => k, source.KeyLoadsOf);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.KeyGate = gate.Task;
        try
        {
            var reads = silos
                .SelectMany(s => keys.SelectMany(k => Enumerable.Range(0, ReadersPerKeyAndSilo)
                    .Select(_ => Task.Run(async () => (await _fixture.CacheOn<Document>(s).GetOrLoadAsync(k, Ct))?.Value.Body, Ct))))
                .ToArray();
            var expectedLoads = keys.Sum(k => silos.Count(s => !IsPublisher(s, k)));
            await Eventually.TrueAsync(() => keys.Sum(k => source.KeyLoadsOf(k) - sourceBefore[k]) >= expectedLoads, "every silo started its loads");
            await Task.Delay(200, Ct);
            gate.SetResult();
            var bodies = await Task.WhenAll(reads);

            Assert.All(bodies, b => Assert.Equal("v2", b));
            foreach (var silo in silos)
            {
                var loads = _fixture.DocumentsOn(silo).TypedChannel.Statistics.KeyLoads - loadsBefore[silo];
                Assert.Equal(keys.Count(k => !IsPublisher(silo, k)), loads);
            }

            Assert.All(keys, k => Assert.Equal(2, source.KeyLoadsOf(k) - sourceBefore[k]));
            Console.WriteLine($"{reads.Length} concurrent reads of {Keys} keys on 3 silos: {keys.Sum(k => source.KeyLoadsOf(k) - sourceBefore[k])} source loads (one per key per silo without the value)");
        }
        finally
        {
            source.KeyGate = Task.CompletedTask;
        }

        // A grain reads through the same cache, without another load; the copies agree again.
        foreach (var key in keys)
        {
            Assert.Equal("v2", await _fixture.Cluster.Client.GetGrain<IDocumentGrain>(key).ReadAsync());
        }

        Assert.All(keys, k => Assert.Equal(2, source.KeyLoadsOf(k) - sourceBefore[k]));
        digests = [.. silos.Select(s => _fixture.DocumentsOn(s).GetDigest(256))];
        Assert.All(digests, d => Assert.Equal(digests[0], d));
    }
}
