using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace HydrateCache.Orleans.Convergence;

/// <summary>Places a grain on the silo its key names (<c>silo|channel</c>): how one silo reaches another silo's cache.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
internal sealed class HydratePeerPlacement : PlacementStrategy
{
    public override bool IsUsingGrainDirectory => true;
}

/// <summary>Marks a grain class as placed by <see cref="HydratePeerPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class HydratePeerPlacementAttribute() : PlacementAttribute(new HydratePeerPlacement());

/// <summary>Activates a peer grain on the silo named in its key; fails when that silo is not an active member.</summary>
internal sealed class HydratePeerPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silo = HydratePeerKey.Parse(target.GrainIdentity.Key.ToString()!).Silo;
        if (!context.GetCompatibleSilos(target).Contains(silo))
        {
            throw new OrleansException($"HydrateCache peer silo {silo} is not an active member of the cluster.");
        }

        return Task.FromResult(silo);
    }
}

/// <summary>The key of a peer grain: a channel on a silo.</summary>
internal readonly record struct HydratePeerKey(string Channel, SiloAddress Silo)
{
    // A silo's parsable form ("127.0.0.1:11111@123") never contains '|'; a channel name may.
    public static HydratePeerKey Parse(string key)
    {
        var bar = key.IndexOf('|', StringComparison.Ordinal);
        return new HydratePeerKey(key[(bar + 1)..], SiloAddress.FromParsableString(key[..bar]));
    }

    public override string ToString() => $"{Silo.ToParsableString()}|{Channel}";
}
