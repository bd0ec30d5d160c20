namespace HydrateCache;

/// <summary>An established subscription. Disposing it stops delivery; a handler call in progress is allowed to finish.</summary>
public interface ITransportSubscription : IAsyncDisposable
{
    /// <summary>Gets the topic this subscription receives.</summary>
    string Topic { get; }
}
