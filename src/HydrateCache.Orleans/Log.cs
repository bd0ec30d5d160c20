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

    [LoggerMessage(EventId = HydrateEventId.OrleansWarmStartCompleted, EventName = nameof(HydrateEventId.OrleansWarmStartCompleted), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' is warm on silo {Silo}: {Count} entries loaded from {Peer} in {ElapsedMilliseconds} ms")]
    public static partial void WarmStartCompleted(this ILogger logger, string channel, SiloAddress silo, int count, string peer, long elapsedMilliseconds);

    [LoggerMessage(EventId = HydrateEventId.OrleansWarmStartTimedOut, EventName = nameof(HydrateEventId.OrleansWarmStartTimedOut), Level = LogLevel.Warning,
        Message = "Silo {Silo} stopped waiting after {Timeout} for its HydrateCache channels to warm ({Cold} still cold); they keep warming in the background")]
    public static partial void WarmStartTimedOut(this ILogger logger, SiloAddress silo, TimeSpan timeout, string cold);

    [LoggerMessage(EventId = HydrateEventId.OrleansRepaired, EventName = nameof(HydrateEventId.OrleansRepaired), Level = LogLevel.Information,
        Message = "HydrateCache channel '{Channel}' on silo {Silo} repaired {Count} entries from silo {Peer} ({Reason})")]
    public static partial void Repaired(this ILogger logger, string channel, SiloAddress silo, int count, SiloAddress peer, string reason);

    [LoggerMessage(EventId = HydrateEventId.OrleansRepairFailed, EventName = nameof(HydrateEventId.OrleansRepairFailed), Level = LogLevel.Warning,
        Message = "HydrateCache channel '{Channel}' on silo {Silo} could not read the cache of silo {Peer} ({Reason})")]
    public static partial void RepairFailed(this ILogger logger, Exception exception, string channel, SiloAddress silo, SiloAddress peer, string reason);

    [LoggerMessage(EventId = HydrateEventId.OrleansSourceLoadFailed, EventName = nameof(HydrateEventId.OrleansSourceLoadFailed), Level = LogLevel.Warning,
        Message = "Loading channel '{Channel}' of silo {Silo} from its source ({Reason}) failed; it is tried again later")]
    public static partial void SourceLoadFailed(this ILogger logger, Exception exception, string channel, SiloAddress silo, string reason);
}
