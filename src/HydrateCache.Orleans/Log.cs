using Microsoft.Extensions.Logging;

namespace HydrateCache.Orleans;

/// <summary>Every log message of the Orleans integration.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStarted, EventName = nameof(HydrateEventId.OrleansHydrationStarted), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' on transport '{Transport}' is hydrating silo {Silo}")]
    public static partial void HydrationStarted(this ILogger logger, string channel, string transport, SiloAddress silo);

    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStopped, EventName = nameof(HydrateEventId.OrleansHydrationStopped), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' stopped hydrating silo {Silo}")]
    public static partial void HydrationStopped(this ILogger logger, string channel, SiloAddress silo);

    [LoggerMessage(EventId = HydrateEventId.OrleansApplyFailed, EventName = nameof(HydrateEventId.OrleansApplyFailed), Level = LogLevel.Warning,
        Message = "The worker grain of HydrateCache channel '{Channel}' failed to apply {Count} updates; retrying in {RetryDelay}")]
    public static partial void ApplyFailed(this ILogger logger, Exception exception, string channel, int count, TimeSpan retryDelay);

    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStartFailed, EventName = nameof(HydrateEventId.OrleansHydrationStartFailed), Level = LogLevel.Error,
        Message = "HydrateCache channel '{Channel}' could not subscribe through transport '{Transport}'")]
    public static partial void HydrationStartFailed(this ILogger logger, Exception exception, string channel, string transport);
}
