using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace HydrateCache;

/// <summary>The <c>HydrateCache</c> meter: one per package, like Npgsql's and FusionCache's.</summary>
internal static class HydrateCacheMetrics
{
    public const string MeterName = "HydrateCache";

    private static readonly Meter Meter = new(MeterName, typeof(HydrateCacheMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Published = Meter.CreateCounter<long>("hydratecache.messages.published", "{message}", "Messages published by channels.");
    private static readonly Counter<long> Received = Meter.CreateCounter<long>("hydratecache.messages.received", "{message}", "Frames received from transports.");
    private static readonly Counter<long> Dropped = Meter.CreateCounter<long>("hydratecache.messages.dropped", "{message}", "Frames dropped (malformed, unknown version, too large, undecodable, too far ahead of the clock) or lost by the transport, by reason.");
    private static readonly Counter<long> Repaired = Meter.CreateCounter<long>("hydratecache.updates.repaired", "{update}", "Entries copied from another copy of the cache (a peer silo's) that changed this one.");
    private static readonly Counter<long> Applied = Meter.CreateCounter<long>("hydratecache.updates.applied", "{update}", "Received updates applied to a cache, by result (applied, removed, expired, stale, duplicate).");
    private static readonly Counter<long> Recovered = Meter.CreateCounter<long>("hydratecache.recovery.recovered", "{message}", "Missed messages that arrived after a retransmission request.");
    private static readonly Counter<long> Unrecovered = Meter.CreateCounter<long>("hydratecache.recovery.unrecovered", "{message}", "Missed messages given up as unrecoverable by retransmission (repaired otherwise).");
    private static readonly Counter<long> Retransmitted = Meter.CreateCounter<long>("hydratecache.recovery.retransmitted", "{message}", "Messages a sender published again on request.");
    private static readonly Counter<long> RetransmitRequests = Meter.CreateCounter<long>("hydratecache.recovery.requests", "{request}", "Retransmission requests (NAKs) sent.");
    private static readonly Counter<long> ControlBytes = Meter.CreateCounter<long>("hydratecache.control.bytes", "By", "Bytes of control messages (heartbeats, requests, replies) sent.");
    private static readonly Counter<long> Invalidations = Meter.CreateCounter<long>("hydratecache.messages.invalidated", "{message}", "Upserts published as invalidations (key and version only) instead of their value.");
    private static readonly Counter<long> HandlerFailures = Meter.CreateCounter<long>("hydratecache.handler.failures", "{message}", "Delivered messages whose handler threw.");

    public static void OnPublished(string channel) => Published.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnInvalidationSent(string channel) => Invalidations.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnReceived(string channel) => Received.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnHandlerFailed(string channel) => HandlerFailures.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnRepaired(string channel) => Repaired.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnRecovered(string channel, long count) => Recovered.Add(count, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnUnrecovered(string channel, long count) => Unrecovered.Add(count, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnRetransmitted(string channel) => Retransmitted.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnRetransmitRequested(string channel) => RetransmitRequests.Add(1, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnControlSent(string channel, int bytes) => ControlBytes.Add(bytes, new KeyValuePair<string, object?>("hydratecache.channel", channel));

    public static void OnApplied(string channel, HydrateApplyResult result)
    {
        var tags = new TagList
        {
            { "hydratecache.channel", channel },
            { "hydratecache.result", result switch
                {
                    HydrateApplyResult.Applied => "applied",
                    HydrateApplyResult.Removed => "removed",
                    HydrateApplyResult.Expired => "expired",
                    HydrateApplyResult.Stale => "stale",
                    HydrateApplyResult.Invalidated => "invalidated",
                    _ => "duplicate",
                }
            },
        };
        Applied.Add(1, tags);
    }

    public static void OnDropped(string channel, HydrateDropReason reason, long count = 1)
    {
        var tags = new TagList
        {
            { "hydratecache.channel", channel },
            { "hydratecache.drop_reason", reason.ToString() },
        };
        Dropped.Add(count, tags);
    }
}
