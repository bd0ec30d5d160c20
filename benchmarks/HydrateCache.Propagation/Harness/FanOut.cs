using System.Diagnostics;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// What the latency and throughput modes compare: one writer and N receivers of one system (a raw client, our channel,
/// an Orleans cluster, FusionCache). <see cref="PublishAsync"/> stamps the message with <see cref="Stopwatch.GetTimestamp"/>
/// at publish; every receiver reports each message it sees to <see cref="Sink"/>, which the mode swaps per step.
/// </summary>
internal abstract class FanOut : IAsyncDisposable
{
    /// <summary>The key count that sequences cycle over (the existing harness's 100 keys).</summary>
    public const int Keys = 100;

    private readonly HashSet<int> _warm = [];
    private LatencyRecorder? _sink;

    /// <summary>Gets the number of receivers whose arrivals are recorded.</summary>
    public abstract int Receivers { get; }

    /// <summary>Gets or sets where arrivals are recorded (null: ignored).</summary>
    public LatencyRecorder? Sink
    {
        get => Volatile.Read(ref _sink);
        set => Volatile.Write(ref _sink, value);
    }

    public static async Task<FanOut> CreateAsync(string variant, string transport, int nodes)
    {
        FanOut fanOut = variant switch
        {
            "raw" => await RawFanOut.CreateAsync(transport, nodes),
            "ours" => await OursFanOut.CreateAsync(transport, nodes),
            "orleans" => await OrleansFanOut.CreateAsync(transport, nodes, throughGrains: true),
            "orleans-direct" => await OrleansFanOut.CreateAsync(transport, nodes, throughGrains: false),
            "fusioncache" => transport == "redis"
                ? await FusionFanOut.CreateAsync(nodes)
                : throw new ArgumentException("FusionCache runs on Redis only (L2 + backplane)."),
            _ => throw new ArgumentException($"Unknown variant '{variant}': use raw, ours, orleans, orleans-direct or fusioncache."),
        };
        try
        {
            await fanOut.WarmUpAsync();
            return fanOut;
        }
        catch
        {
            await fanOut.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes message <paramref name="sequence"/> (sequence -1: warm-up), stamped now.</summary>
    public abstract ValueTask PublishAsync(int sequence);

    public abstract ValueTask DisposeAsync();

    /// <summary>Records an arrival at <paramref name="receiver"/>.</summary>
    protected void Arrived(int receiver, int sequence, long sentAt)
    {
        if (sequence < 0)
        {
            if (sequence == -1)
            {
                MarkWarm(receiver);
            }

            return;
        }

        Sink?.Record(receiver, sequence, sentAt);
    }

    /// <summary>Publishes warm-up messages until every receiver got one (JIT, connections, subscriptions becoming live).</summary>
    protected virtual async Task WarmUpAsync()
    {
        for (var attempt = 0; !AllWarm(); attempt++)
        {
            if (attempt > 600)
            {
                throw new TimeoutException("the receivers did not get the warm-up message within 60 s");
            }

            await PublishAsync(-1);
            await Task.Delay(100);
        }

        // A few more, so that every path (the receivers' first and later arrivals) is jitted before anything is measured.
        for (var i = 0; i < 50; i++)
        {
            await PublishAsync(-1);
        }

        await Task.Delay(200);
    }

    private void MarkWarm(int receiver)
    {
        lock (_warm)
        {
            _warm.Add(receiver);
        }
    }

    private bool AllWarm()
    {
        lock (_warm)
        {
            return _warm.Count >= Receivers;
        }
    }

    /// <summary>The key of a sequence number (warm-up: its own key).</summary>
    protected static string KeyOf(int sequence) => sequence < 0 ? "warmup" : $"key-{sequence % Keys}";
}
