using System.Collections.Concurrent;
using System.Reflection;
using HydrateCache.Orleans.Grains;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// Decides whether this silo delivers a channel's updates to grains that subscribe to the channel's streams
/// (<c>[ImplicitStreamSubscription("channel")]</c>). Every silo receives every update, but each subscription must see
/// it once, so exactly one silo delivers: among the active silos of the membership, the one with the highest
/// rendezvous hash of (channel, silo). Channels that no grain class subscribes to cost nothing: no silo delivers.
/// </summary>
/// <remarks>
/// While membership changes (a silo joins or leaves), two silos may briefly disagree on the delivering silo, so an
/// update may be delivered twice or, if the delivering silo dies with it in flight, not at all. Each update carries its
/// version (<see cref="HydrateUpdate{T}.Version"/>), so subscribers can ignore duplicates; for a state that is always
/// complete, read <see cref="ILocalHydratedCache{T}"/>.
/// </remarks>
internal sealed class HydrateGrainStreamDelivery(IClusterMembershipService membership, ILocalSiloDetails silo, IOptions<GrainTypeOptions> grainTypes)
{
    private readonly ConcurrentDictionary<string, bool> _hasSubscribers = new(StringComparer.Ordinal);

    /// <summary>Returns whether this silo delivers <paramref name="channel"/>'s updates to subscribed grains.</summary>
    public bool DeliversHere(string channel) =>
        _hasSubscribers.GetOrAdd(channel, HasGrainSubscribers) && IsDeliveringSilo(channel);

    private bool HasGrainSubscribers(string channel) =>
        grainTypes.Value.Classes.Any(type => type != typeof(HydrateWorkerGrain)
            && type.GetCustomAttributes<ImplicitStreamSubscriptionAttribute>(inherit: true).Any(a => a.Predicate.IsMatch(channel)));

    private bool IsDeliveringSilo(string channel)
    {
        SiloAddress? best = null;
        ulong bestScore = 0;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Active)
            {
                continue;
            }

            var score = Score(channel, member.SiloAddress);
            if (best is null || score > bestScore || (score == bestScore && member.SiloAddress.CompareTo(best) > 0))
            {
                best = member.SiloAddress;
                bestScore = score;
            }
        }

        return silo.SiloAddress.Equals(best);
    }

    /// <summary>The cache's stable key hash (the same in every process and run) of channel and silo.</summary>
    private static ulong Score(string channel, SiloAddress member) =>
        (ulong)LocalHydratedCache<object>.GetBucket($"{channel}|{member.ToParsableString()}", int.MaxValue);
}
