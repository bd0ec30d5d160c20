using Microsoft.Extensions.DependencyInjection;

namespace HydrateCache.Orleans.Runtime;

/// <summary>
/// Starts every channel's loss recovery when a cluster client starts, as a publisher only: its control subscription
/// answers retransmission requests, and the versions announced by other senders' heartbeats order the client's first
/// write after what the cluster has seen, instead of after its own clock alone.
/// </summary>
internal sealed class HydrateClientRecovery(IServiceProvider services, HydrateRegistrations registrations) : ILifecycleParticipant<IClusterClientLifecycle>
{
    public void Participate(IClusterClientLifecycle lifecycle) =>
        lifecycle.Subscribe("HydrateCache.Recovery", ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private IEnumerable<IHydrateChannelRuntime> Channels =>
        registrations.Channels.Keys.Select(channel => services.GetRequiredKeyedService<IHydrateChannelRuntime>(channel));

    private Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in Channels)
        {
            channel.StartRecovery();
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in Channels)
        {
            await channel.StopRecoveryAsync().ConfigureAwait(false);
        }
    }
}
