using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace HydrateCache.TestKit;

/// <summary>
/// Records the <see cref="HydrateCacheDiagnostics.MeterName"/> meter's measurements of one channel name, on the meters of
/// one <see cref="IMeterFactory"/> (their scope), or, without one, on the meters channels own. Tests run in parallel, so
/// give each test a unique channel name (or a factory of its own) and read only that channel's measurements.
/// </summary>
public sealed class ChannelMetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(Instrument Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ConcurrentDictionary<Instrument, bool> _completed = new();

    /// <param name="channel">The channel name whose measurements are kept.</param>
    /// <param name="meterFactory">The factory whose meters are listened to; <see langword="null"/> for meters channels own.</param>
    public ChannelMetricRecorder(string channel, IMeterFactory? meterFactory = null)
        : this(channel, meter => ReferenceEquals(meter.Scope, meterFactory))
    {
    }

    /// <param name="channel">The channel name whose measurements are kept.</param>
    /// <param name="meters">Chooses the <see cref="HydrateCacheDiagnostics.MeterName"/> meters listened to, for example those of every factory.</param>
    public ChannelMetricRecorder(string channel, Func<Meter, bool> meters)
    {
        Channel = channel;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HydrateCacheDiagnostics.MeterName && meters(instrument.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _completed[instrument] = true;
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>A channel name no other test uses.</summary>
    public static string UniqueChannel(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public string Channel { get; }

    /// <summary>Gets the instruments that reported measurements of the channel.</summary>
    public IReadOnlyCollection<Instrument> Instruments => _measurements.Select(m => m.Instrument).Distinct().ToList();

    /// <summary>Gets a value indicating whether <paramref name="instrument"/> stopped reporting (its meter was disposed).</summary>
    public bool IsCompleted(Instrument instrument) => _completed.ContainsKey(instrument);

    /// <summary>Sums the measurements of <paramref name="instrument"/> whose tag <paramref name="tag"/> is <paramref name="value"/>.</summary>
    public long Sum(string instrument, string? tag = null, string? value = null) =>
        (long)Values(instrument, tag, value).Sum();

    /// <summary>Sums the measurements of <paramref name="instrument"/> made on the meter of <paramref name="meterFactory"/>.</summary>
    public long SumOn(IMeterFactory meterFactory, string instrument) =>
        (long)Measurements(instrument, null, null).Where(m => ReferenceEquals(m.Instrument.Meter.Scope, meterFactory)).Sum(m => m.Value);

    /// <summary>Gets the measurements of <paramref name="instrument"/> whose tag <paramref name="tag"/> is <paramref name="value"/>, in order.</summary>
    public IReadOnlyList<double> Values(string instrument, string? tag = null, string? value = null) =>
        Measurements(instrument, tag, value).Select(m => m.Value).ToList();

    /// <summary>Gets the measurements of <paramref name="instrument"/>, with the instrument that made each (its meter tells whose it is).</summary>
    public IReadOnlyList<(Instrument Instrument, double Value)> Measurements(string instrument, string? tag = null, string? value = null) =>
        _measurements
            .Where(m => m.Instrument.Name == instrument && (tag is null || (m.Tags.TryGetValue(tag, out var v) && Equals(v, value))))
            .Select(m => (m.Instrument, m.Value))
            .ToList();

    /// <summary>Asks observable instruments (the entries gauge) for their current values.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        if (copy.TryGetValue("hydratecache.channel", out var name) && Equals(name, Channel))
        {
            _measurements.Enqueue((instrument, value, copy));
        }
    }
}
