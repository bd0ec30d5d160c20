using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace HydrateCache.Orleans.Streams;

/// <summary>
/// The batch container of one received update on the stream (channel, cache key), for grains that subscribe to a
/// channel with the Orleans streams API. An observer of <c>HydrateUpdate&lt;T&gt;</c> receives every update (deletes
/// included); an observer of <c>T</c> receives the values of upserts.
/// </summary>
[GenerateSerializer, Immutable, Alias("hc.HydrateUpdateContainer")]
internal sealed class HydrateUpdateContainer(StreamId streamId, object update, object? value, EventSequenceTokenV2 sequenceToken) : IBatchContainer
{
    [Id(0)]
    public StreamId StreamId { get; } = streamId;

    /// <summary>The <c>HydrateUpdate&lt;T&gt;</c>.</summary>
    [Id(1)]
    public object Update { get; } = update;

    /// <summary>The <c>T</c> value of an upsert; <see langword="null"/> for a delete.</summary>
    [Id(2)]
    public object? Value { get; } = value;

    [Id(3)]
    public EventSequenceTokenV2 Token { get; } = sequenceToken;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        if (Update is T update)
        {
            return [Tuple.Create(update, (StreamSequenceToken)Token)];
        }

        return Value is T value ? [Tuple.Create(value, (StreamSequenceToken)Token)] : [];
    }

    public bool ImportRequestContext() => false;
}
