using System.Diagnostics;

namespace HydrateCache;

/// <summary>
/// The <see cref="HydrateCacheDiagnostics.ActivitySourceName"/> activity source and its two spans, following the OpenTelemetry
/// messaging conventions: <c>{channel} publish</c> (producer) around a publish, whose W3C trace context travels in the
/// envelope, and <c>{channel} process</c> (consumer) around applying or handling a received update. A process span is a
/// new root, linked to the publish context rather than parented by it: one publish fans out to every process, and each
/// receiver's work is a trace of its own that points back to the write.
/// </summary>
/// <remarks>
/// Nothing is created when the source has no listener. The trace context written into a frame is that of the current
/// activity (the publish span, or the application's own when nobody listens to this source), and none when there is none.
/// </remarks>
internal static class HydrateCacheTracing
{
    /// <summary>One source per package, like Npgsql's and FusionCache's; an activity source has no per-host factory.</summary>
    private static readonly ActivitySource Source = new(HydrateCacheDiagnostics.ActivitySourceName, typeof(HydrateCacheTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the publish span, or returns <see langword="null"/> when nobody listens (or it is not sampled).</summary>
    public static Activity? StartPublish(string spanName, string system, string topic, string channel)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(spanName, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", system);
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "publish");
            activity.SetTag(HydrateCacheMetrics.ChannelTag, channel);
        }

        return activity;
    }

    /// <summary>Gets the W3C trace context of the current activity for an envelope; none without one, or when it does not fit the envelope's limits.</summary>
    public static TraceContext CurrentContext()
    {
        if (Activity.Current is not { IdFormat: ActivityIdFormat.W3C } current || current.Id is not { Length: > 0 and <= HydrateEnvelope.MaxTraceFieldLength } parent)
        {
            return default;
        }

        // A tracestate beyond the envelope's limit is left out (W3C allows dropping it), never a frame receivers refuse.
        var state = current.TraceStateString;
        return new TraceContext(parent, state is { Length: > 0 and <= HydrateEnvelope.MaxTraceFieldLength } ? state : null);
    }

    /// <summary>Starts the process span of a received update, a new root linked to the publish context it carried.</summary>
    public static ProcessSpan StartProcess<T>(string spanName, string system, string topic, string channel, TraceContext trace, TypedMessage<T> message)
    {
        if (!Source.HasListeners())
        {
            return default;
        }

        ActivityLink[]? links = null;
        if (trace.Parent is not null && ActivityContext.TryParse(trace.Parent, trace.State, isRemote: true, out var publish))
        {
            links = [new ActivityLink(publish)];
        }

        var ambient = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity(ActivityKind.Consumer, parentContext: default, tags: null, links: links, startTime: default, name: spanName);
        if (activity is null)
        {
            Activity.Current = ambient;
            return default;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("messaging.system", system);
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag(HydrateCacheMetrics.ChannelTag, channel);
            activity.SetTag("hydratecache.sender", message.SenderId.ToString("N"));
            activity.SetTag("hydratecache.sequence", (long)message.Sequence);
            activity.SetTag("hydratecache.version", message.Version.ToString());
        }

        return new ProcessSpan(activity, ambient);
    }

    /// <summary>A W3C trace context as it travels in an envelope (extensions 1 and 2).</summary>
    internal readonly record struct TraceContext(string? Parent, string? State);

    /// <summary>A started process span; disposing it stops the span and restores the activity that was current before.</summary>
    internal readonly struct ProcessSpan(Activity? activity, Activity? ambient) : IDisposable
    {
        public Activity? Activity => activity;

        public void SetResult(HydrateApplyResult result)
        {
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(HydrateCacheMetrics.ResultTag, HydrateCacheMetrics.ResultName(result));
            }
        }

        public void SetError(Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        }

        public void Dispose()
        {
            if (activity is not null)
            {
                activity.Dispose();
                System.Diagnostics.Activity.Current = ambient;
            }
        }
    }
}
