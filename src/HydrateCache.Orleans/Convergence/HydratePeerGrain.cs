using HydrateCache.Orleans.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;

namespace HydrateCache.Orleans.Convergence;

/// <summary>One silo's cache of one channel, as other silos read it to repair theirs (keyed <c>silo|channel</c>).</summary>
internal interface IHydratePeerGrain : IGrainWithStringKey
{
    /// <summary>Gets the digest of the silo's cache (see <see cref="LocalHydratedCache{T}.GetDigest"/>).</summary>
    Task<ulong[]> GetDigestAsync(int bucketCount);

    /// <summary>Gets a page of entries (values and tombstones) of the given buckets as frames, in key order after <paramref name="afterKey"/>.</summary>
    Task<HydratePage> GetPageAsync(int[]? buckets, int bucketCount, string? afterKey, int maxCount);
}

/// <summary>A page of a peer's cache: frames in the wire format, and the key to continue after (none on the last page).</summary>
[GenerateSerializer, Immutable, Alias("hc.HydratePage")]
internal sealed class HydratePage(byte[][] frames, string? nextKey)
{
    [Id(0)]
    public byte[][] Frames { get; } = frames;

    [Id(1)]
    public string? NextKey { get; } = nextKey;
}

/// <summary>
/// Serves a silo's cache of a channel to the other silos: the per-silo endpoint of peer repair, placed on the silo its
/// key names. Read-only, so calls interleave.
/// </summary>
[HydratePeerPlacement]
[Reentrant]
internal sealed class HydratePeerGrain(IServiceProvider services) : Grain, IHydratePeerGrain
{
    private IHydrateChannelRuntime Runtime =>
        services.GetRequiredKeyedService<IHydrateChannelRuntime>(HydratePeerKey.Parse(this.GetPrimaryKeyString()).Channel);

    public Task<ulong[]> GetDigestAsync(int bucketCount) => Task.FromResult(Runtime.GetDigest(bucketCount));

    public Task<HydratePage> GetPageAsync(int[]? buckets, int bucketCount, string? afterKey, int maxCount) =>
        Task.FromResult(Runtime.GetPage(buckets, bucketCount, afterKey, maxCount));
}
