using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace HydrateCache.Tests.Channel;

/// <summary>
/// Records the <c>HydrateCache</c> meter's measurements of one channel name. The meter is process-wide and tests run in
/// parallel, so give each test a unique channel name and read only that channel's measurements.
/// </summary>
internal sealed class ChannelMetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public ChannelMetricRecorder(string channel)
    {
        Channel = channel;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HydrateCacheMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            if (copy.TryGetValue("hydratecache.channel", out var name) && Equals(name, Channel))
            {
                _measurements.Enqueue((instrument.Name, value, copy));
            }
        });
        _listener.Start();
    }

    /// <summary>A channel name no other test uses.</summary>
    public static string UniqueChannel(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public string Channel { get; }

    /// <summary>Sums the measurements of <paramref name="instrument"/> whose tag <paramref name="tag"/> is <paramref name="value"/>.</summary>
    public long Sum(string instrument, string? tag = null, string? value = null) =>
        _measurements
            .Where(m => m.Instrument == instrument && (tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, value))))
            .Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
