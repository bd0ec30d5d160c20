namespace HydrateCache.Orleans.Streams;

/// <summary>
/// Frames of one channel received by one silo, in transport order: the event a silo's worker grain receives from the
/// pulling agent of its own silo. Each frame carries how many messages the transport lost right before it; a
/// <see langword="null"/> body is a loss notice (<see cref="TransportMessage.IsLossNotice"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("hc.HydrateFrames")]
internal sealed class HydrateFrames(string channel, byte[]?[] bodies, long[] lostBefore)
{
    [Id(0)]
    public string Channel { get; } = channel;

    [Id(1)]
    public byte[]?[] Bodies { get; } = bodies;

    /// <summary>For each body, the messages lost right before it.</summary>
    [Id(2)]
    public long[] LostBefore { get; } = lostBefore;
}
