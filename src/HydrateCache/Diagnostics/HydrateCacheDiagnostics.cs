namespace HydrateCache;

/// <summary>The names under which HydrateCache reports metrics and traces, to enable them in OpenTelemetry.</summary>
/// <remarks>
/// <code>
/// services.AddOpenTelemetry()
///     .WithMetrics(m => m.AddMeter(HydrateCacheDiagnostics.MeterName))
///     .WithTracing(t => t.AddSource(HydrateCacheDiagnostics.ActivitySourceName));
/// </code>
/// Every instrument and span is listed in the README's Observability section.
/// </remarks>
public static class HydrateCacheDiagnostics
{
    /// <summary>The name of the meter every channel records its instruments on: <c>HydrateCache</c>.</summary>
    /// <remarks>
    /// A channel creates it from <see cref="HydrateChannelOptions{T}.MeterFactory"/> (the Orleans integration passes the
    /// silo's <c>IMeterFactory</c>), so silos in one process never share instruments; without a factory the channel owns
    /// a meter of this name and disposes it with the channel.
    /// </remarks>
    public const string MeterName = "HydrateCache";

    /// <summary>The name of the activity source of the publish and process spans: <c>HydrateCache</c>.</summary>
    public const string ActivitySourceName = "HydrateCache";
}
