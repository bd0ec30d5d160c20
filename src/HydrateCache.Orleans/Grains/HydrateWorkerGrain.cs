using Orleans.Concurrency;

namespace HydrateCache.Orleans;

/// <summary>The per-silo worker of one channel (keyed by channel name) that applies received updates to the silo's cache.</summary>
internal interface IHydrateWorkerGrain : IGrainWithStringKey
{
    /// <summary>Applies a batch of frames, in order, to this silo's cache of the channel.</summary>
    Task ApplyAsync(HydrateFrameBatch batch);
}

/// <summary>Frames received by one silo, with the silo they are meant for.</summary>
[GenerateSerializer, Immutable, Alias("hc.HydrateFrameBatch")]
internal sealed class HydrateFrameBatch(SiloAddress target, byte[][] frames)
{
    [Id(0)]
    public SiloAddress Target { get; } = target;

    [Id(1)]
    public byte[][] Frames { get; } = frames;
}

/// <summary>
/// Exactly one activation per silo and channel (<c>[StatelessWorker(1)]</c>), always on the silo that calls it, so
/// updates are applied serially and in order to that silo's own cache.
/// </summary>
[StatelessWorker(1)]
internal sealed class HydrateWorkerGrain(HydrateChannelRegistry registry, ILocalSiloDetails silo) : Grain, IHydrateWorkerGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        registry.OnWorkerActivated(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        registry.OnWorkerDeactivated(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task ApplyAsync(HydrateFrameBatch batch)
    {
        // A stateless worker is placed on its caller's silo; a batch meant for another silo's cache must never be applied here.
        if (!batch.Target.Equals(silo.SiloAddress))
        {
            throw new InvalidOperationException(
                $"HydrateCache worker of channel '{this.GetPrimaryKeyString()}' on silo {silo.SiloAddress} received a batch for silo {batch.Target}.");
        }

        registry.Get(this.GetPrimaryKeyString()).ApplyFrames(batch.Frames);
        return Task.CompletedTask;
    }
}
