using System.Diagnostics;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// Ours, plain: a <see cref="HydrateChannel{T}"/> publisher and N subscribers each hydrating its own
/// <see cref="LocalHydratedCache{T}"/> (<see cref="Fleet"/>: each its own client, as separate processes would be); an
/// arrival is the moment the update is applied to the subscriber's cache.
/// </summary>
internal sealed class OursFanOut : FanOut
{
    private Fleet _fleet = null!;

    private OursFanOut()
    {
    }

    public override int Receivers => _fleet.Subscribers.Count;

    public static async Task<FanOut> CreateAsync(string transport, int receivers)
    {
        var fanOut = new OursFanOut();
        fanOut._fleet = await Fleet.StartAsync(transport, new FleetOptions
        {
            Subscribers = receivers,
            OnApplied = (index, message) => fanOut.Arrived(index, message.Payload!.Sequence, message.Payload.SentAt),
        });
        return fanOut;
    }

    /// <summary>The size of our frame for a typical <see cref="Tick"/> update (what the raw baseline sends per message).</summary>
    public static int FrameSize()
    {
        var options = new HydrateChannelOptions<Tick> { TopicPrefix = $"bench-{Guid.NewGuid():N}." };
        options.Recovery.Enabled = false;
        var channel = new HydrateChannel<Tick>(new InMemoryTransport(), "ticks", options);
        return channel.Encode(channel.CreateUpsert("key-42", new Tick(4242, Stopwatch.GetTimestamp()))).Length;
    }

    public override ValueTask PublishAsync(int sequence) =>
        _fleet.Publisher.PublishAsync(KeyOf(sequence), new Tick(sequence, Stopwatch.GetTimestamp()));

    public override ValueTask DisposeAsync() => _fleet.DisposeAsync();
}
