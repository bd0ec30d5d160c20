using System.Text.Json;

namespace HydrateCache.BurstHost;

/// <summary>What one silo process reports: its memory (peaks since start), its cache, and its loss and repair counters.</summary>
internal sealed record SiloReport
{
    public int Silo { get; init; }

    public bool ServerGc { get; init; }

    public long PeakRssBytes { get; init; }

    public long RssBytes { get; init; }

    public long PeakGcHeapBytes { get; init; }

    public long GcHeapBytes { get; init; }

    public long GcCommittedBytes { get; init; }

    public int Gen2Collections { get; init; }

    /// <summary>Gets the entries of the silo's cache.</summary>
    public int Keys { get; init; }

    /// <summary>Gets the cache's digest of (key, version, sender) over every entry, in hex: equal to the publisher's when it holds every final version.</summary>
    public string Digest { get; init; } = string.Empty;

    public long Received { get; init; }

    public long Applied { get; init; }

    public long Stale { get; init; }

    /// <summary>Gets the updates the channel counted as lost by the transport (<c>HydrateDropReason.TransportLoss</c>).</summary>
    public long TransportLoss { get; init; }

    /// <summary>Gets the sequence numbers loss recovery found missing (<c>HydrateChannelStatistics.Gaps</c>): also what the broker lost, which the transport cannot count.</summary>
    public long Gaps { get; init; }

    /// <summary>Gets how many times the transport reported the silo's connection lost (a broker disconnects a subscriber that falls too far behind).</summary>
    public long Disconnects { get; init; }

    /// <summary>Gets the messages the transport instance dropped (its subscription buffers and client library).</summary>
    public long TransportDropped { get; init; }

    public long Recovered { get; init; }

    public long Unrecovered { get; init; }

    public long RetransmitRequests { get; init; }

    public long Repaired { get; init; }

    /// <summary>Gets the most frame bytes the silo held at once between the subscription buffer and the worker (bounded by <c>HydrateCacheOptions.MaxInFlightBytes</c>).</summary>
    public long PeakInFlightBytes { get; init; }

    public long MaxInFlightBytes { get; init; }
}

/// <summary>What the publisher process reports.</summary>
internal sealed record PublisherReport
{
    public long Updates { get; init; }

    public int Keys { get; init; }

    public int ValueBytes { get; init; }

    public double PublishSeconds { get; init; }

    public string Digest { get; init; } = string.Empty;

    public long Retransmitted { get; init; }

    /// <summary>Gets the publishes that failed (a timeout under load) and were written again.</summary>
    public long FailedPublishes { get; init; }

    public long PeakRssBytes { get; init; }

    public long PeakGcHeapBytes { get; init; }
}

/// <summary>The result of one burst run.</summary>
internal sealed record BurstReport
{
    public string Transport { get; init; } = string.Empty;

    public long Updates { get; init; }

    public int Keys { get; init; }

    public int ValueBytes { get; init; }

    public double PublishSeconds { get; init; }

    public bool Converged { get; init; }

    /// <summary>Gets the seconds from the publisher's last update until every silo held every final version (-1 when it did not).</summary>
    public double ConvergeSeconds { get; init; }

    public double RunSeconds { get; init; }

    public PublisherReport? Publisher { get; init; }

    public IReadOnlyList<SiloReport> Silos { get; init; } = [];
}

/// <summary>The line protocol between the run and its child processes: <c>@kind {json}</c> on stdout.</summary>
internal static class BurstProtocol
{
    public const string Ready = "@ready";
    public const string Silo = "@silo ";
    public const string Published = "@published ";
    public const string Publisher = "@publisher ";

    public static JsonSerializerOptions Json { get; } = new() { WriteIndented = false };

    public static void Write<T>(string prefix, T value) => Console.Out.WriteLine(prefix + JsonSerializer.Serialize(value, Json));

    public static T Read<T>(string line, string prefix) => JsonSerializer.Deserialize<T>(line.AsSpan(prefix.Length), Json)!;
}
