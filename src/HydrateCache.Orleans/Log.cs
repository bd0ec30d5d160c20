using Microsoft.Extensions.Logging;

namespace HydrateCache.Orleans;

/// <summary>Every log message of the Orleans integration.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStarted, EventName = nameof(HydrateEventId.OrleansHydrationStarted), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' on stream provider '{Transport}' is hydrating silo {Silo}")]
    public static partial void HydrationStarted(this ILogger logger, string channel, string transport, SiloAddress silo);

    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStopped, EventName = nameof(HydrateEventId.OrleansHydrationStopped), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' on stream provider '{Transport}' stopped hydrating silo {Silo}")]
    public static partial void HydrationStopped(this ILogger logger, string channel, string transport, SiloAddress silo);

    [LoggerMessage(EventId = HydrateEventId.OrleansHydrationStartFailed, EventName = nameof(HydrateEventId.OrleansHydrationStartFailed), Level = LogLevel.Error,
        Message = "HydrateCache channel '{Channel}' could not subscribe through stream provider '{Transport}' on silo {Silo}")]
    public static partial void HydrationStartFailed(this ILogger logger, Exception exception, string channel, string transport, SiloAddress silo);
}
