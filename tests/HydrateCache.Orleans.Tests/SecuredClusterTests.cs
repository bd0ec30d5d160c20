using System.Text;
using HydrateCache.Orleans.Runtime;
using HydrateCache.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// A cluster whose channels sign and encrypt, with keys from an <see cref="IHydrateKeyProvider"/> registered in DI:
/// updates, retransmissions and peer repairs (the warm start of <see cref="MembershipChangeTests{TFixture}"/>, run on
/// these fixtures too) are signed and verified; a forged frame on the broker is dropped and counted on every silo; the
/// broker never carries a value in the clear.
/// </summary>
public abstract class SecuredClusterTests<TFixture> : IClassFixture<TFixture>
    where TFixture : HydrateClusterFixture
{
    private readonly TFixture _fixture;

    protected SecuredClusterTests(TFixture fixture)
    {
        // No server: skip locally, fail on CI.
        fixture.EnsureAvailable();
        _fixture = fixture;
    }

    [Fact]
    public async Task SignedEncryptedChannel_HydratesEverySilo_DropsForgeries_BrokerSeesNoPlaintext()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = _fixture.TopicPrefix + HydrateClusterFixture.PricesChannel;
        var observer = await _fixture.ConnectAsync();
        var onTheWire = new MessageCollector<byte[]>();
        await using var observation = await observer.SubscribeAsync(topic, (m, _) =>
        {
            onTheWire.Add(m.Body.ToArray());
            return ValueTask.CompletedTask;
        }, ct);

        var symbol = $"SECRET-SYMBOL-{Guid.NewGuid():N}";
        var publisher = _fixture.Cluster.Client.ServiceProvider.GetRequiredService<IHydratePublisher<PriceRecord>>();
        await publisher.PublishAsync(symbol, new PriceRecord(symbol, 42m), cancellationToken: ct);

        // A forger without the keys publishes straight to the broker.
        await using var forger = new HydrateChannel<PriceRecord>(observer, HydrateClusterFixture.PricesChannel, new HydrateChannelOptions<PriceRecord> { TopicPrefix = _fixture.TopicPrefix });
        await observer.PublishAsync(topic, forger.Encode(forger.CreateUpsert(symbol, new PriceRecord(symbol, 666m))), ct);

        await Eventually.TrueAsync(
            () => _fixture.ActiveSilos.All(silo => Statistics(silo).GetDropped(HydrateDropReason.Unsigned) >= 1),
            "every silo dropped the forged frame");
        await Eventually.TrueAsync(
            () => _fixture.Caches<PriceRecord>().All(c => c.Cache.TryGet(symbol, out var p) && p.Value == 42m),
            "every silo holds the signed update, not the forgery");
        Assert.All(_fixture.ActiveSilos, silo => Assert.Equal(0, Statistics(silo).GetDropped(HydrateDropReason.BadSignature)));

        await Eventually.TrueAsync(() => onTheWire.Count >= 2, "the observer saw the update and the forgery");
        var secret = Encoding.UTF8.GetBytes(symbol);
        var signed = onTheWire.Items.Where(f => FrameSignature.TrySplit(f, out _, out _, out _) == FrameSignatureStatus.Signed).ToList();
        Assert.NotEmpty(signed);

        // The key is the entry's key (not secret); its value, which repeats the symbol, travels encrypted.
        Assert.All(signed, frame => Assert.Equal(1, Occurrences(frame, secret)));
        Assert.Contains(onTheWire.Items, frame => Occurrences(frame, secret) == 2);
    }

    private HydrateChannelStatistics Statistics(SiloAddress silo) =>
        _fixture.Cluster.GetSiloServiceProvider(silo)
            .GetRequiredKeyedService<HydrateChannelRuntime<PriceRecord>>(HydrateClusterFixture.PricesChannel).TypedChannel.Statistics;

    private static int Occurrences(byte[] frame, byte[] value)
    {
        var count = 0;
        var rest = frame.AsSpan();
        for (var at = rest.IndexOf(value); at >= 0; at = rest.IndexOf(value))
        {
            count++;
            rest = rest[(at + value.Length)..];
        }

        return count;
    }
}

/// <summary>The keys every secured fixture's silos and client get from DI, for every channel.</summary>
internal sealed class TestKeyProvider : IHydrateKeyProvider
{
    private readonly HydrateKey _signing = SecurityTestKeys.Signing("cluster-s1");
    private readonly HydrateKey _encryption = SecurityTestKeys.Encryption("cluster-e1");

    public static void Register(HydrateCacheBuilder hydrate) => hydrate.Services.AddSingleton<IHydrateKeyProvider, TestKeyProvider>();

    public HydrateKey? GetCurrentKey(string channel, HydrateKeyPurpose purpose) => purpose == HydrateKeyPurpose.Signing ? _signing : _encryption;

    public HydrateKey? FindKey(string channel, HydrateKeyPurpose purpose, string keyId) =>
        GetCurrentKey(channel, purpose) is { } key && key.Id == keyId ? key : null;
}

/// <summary>In-memory cluster whose channels sign and encrypt with keys from DI.</summary>
public sealed class SecuredInMemoryClusterFixture : InMemoryClusterFixture
{
    protected override void ConfigureHydrate(HydrateCacheBuilder hydrate) => TestKeyProvider.Register(hydrate);
}

/// <summary>Redis cluster whose channels sign and encrypt with keys from DI.</summary>
public sealed class SecuredRedisClusterFixture : RedisClusterFixture
{
    protected override void ConfigureHydrate(HydrateCacheBuilder hydrate) => TestKeyProvider.Register(hydrate);
}

/// <summary>NATS cluster whose channels sign and encrypt with keys from DI.</summary>
public sealed class SecuredNatsClusterFixture : NatsClusterFixture
{
    protected override void ConfigureHydrate(HydrateCacheBuilder hydrate) => TestKeyProvider.Register(hydrate);
}

[TestSuite("Functional"), TestProvider("None"), TestArea("Security")]
public sealed class InMemorySecuredClusterTests(SecuredInMemoryClusterFixture fixture) : SecuredClusterTests<SecuredInMemoryClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("Redis"), TestArea("Security")]
public sealed class RedisSecuredClusterTests(SecuredRedisClusterFixture fixture) : SecuredClusterTests<SecuredRedisClusterFixture>(fixture);

[TestSuite("Functional"), TestProvider("NATS"), TestArea("Security")]
public sealed class NatsSecuredClusterTests(SecuredNatsClusterFixture fixture) : SecuredClusterTests<SecuredNatsClusterFixture>(fixture);

/// <summary>The warm start of a joining silo (peer repair: frames signed and encrypted by one silo, verified by another) with security on.</summary>
[TestSuite("Functional"), TestProvider("None"), TestArea("Security")]
public sealed class InMemorySecuredMembershipChangeTests(SecuredInMemoryClusterFixture fixture) : MembershipChangeTests<SecuredInMemoryClusterFixture>(fixture);

/// <inheritdoc cref="InMemorySecuredMembershipChangeTests"/>
[TestSuite("Functional"), TestProvider("Redis"), TestArea("Security")]
public sealed class RedisSecuredMembershipChangeTests(SecuredRedisClusterFixture fixture) : MembershipChangeTests<SecuredRedisClusterFixture>(fixture);
