using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>The batch container of one <see cref="HydrateFrames"/> event on a channel's worker stream.</summary>
[GenerateSerializer, Immutable, Alias("hc.HydrateFramesContainer")]
internal sealed class HydrateFramesContainer(StreamId streamId, HydrateFrames frames, EventSequenceTokenV2 sequenceToken) : IBatchContainer
{
    [Id(0)]
    public StreamId StreamId { get; } = streamId;

    [Id(1)]
    public HydrateFrames Frames { get; } = frames;

    [Id(2)]
    public EventSequenceTokenV2 Token { get; } = sequenceToken;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Frames is T item ? [Tuple.Create(item, (StreamSequenceToken)Token)] : [];

    public bool ImportRequestContext() => false;
}
