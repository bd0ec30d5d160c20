using System.Collections.Concurrent;
using System.Diagnostics;

namespace HydrateCache.TestKit;

/// <summary>
/// Listens to the <see cref="HydrateCacheDiagnostics.ActivitySourceName"/> activity source (recording every span) and keeps
/// the spans that stopped. The source is process-wide: while one is alive every channel of the process creates spans, so
/// pick out a test's spans by their channel tag or their link to the test's own publish span.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HydrateCacheDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Gets the stopped spans named <paramref name="operationName"/> whose <c>hydratecache.channel</c> tag is <paramref name="channel"/>.</summary>
    public IReadOnlyList<Activity> Stopped(string operationName, string channel) =>
        [.. _stopped.Where(a => a.OperationName == operationName && Equals(a.GetTagItem("hydratecache.channel"), channel))];

    /// <summary>Gets the stopped spans that link to <paramref name="span"/>.</summary>
    public IReadOnlyList<Activity> LinkedTo(Activity span) =>
        [.. _stopped.Where(a => a.Links.Any(l => l.Context.TraceId == span.TraceId && l.Context.SpanId == span.SpanId))];

    public void Dispose() => _listener.Dispose();
}
