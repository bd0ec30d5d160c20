using BenchmarkDotNet.Attributes;

namespace HydrateCache.Benchmarks;

/// <summary>
/// What loss recovery costs a receiver per message: the receive pipeline (<see cref="HydrateChannel{T}.Apply(TransportMessage, LocalHydratedCache{T})"/>:
/// decode, clock, gap tracking, apply by version) with recovery on, against the same pipeline with recovery off. Each
/// operation applies 1,024 frames of 16 senders in order (the steady state: no gap), so the ratio is the per-message
/// bookkeeping of sequence numbers.
/// </summary>
[MemoryDiagnoser]
public class RecoveryBenchmarks
{
    private const int Frames = 1024;
    private readonly InMemoryTransport _bus = new();
    private TransportMessage[] _messages = null!;
    private HydrateChannel<Price> _withRecovery = null!;
    private HydrateChannel<Price> _withoutRecovery = null!;
    private LocalHydratedCache<Price> _cacheWith = null!;
    private LocalHydratedCache<Price> _cacheWithout = null!;

    [GlobalSetup]
    public void Setup()
    {
        var senders = Enumerable.Range(0, 16).Select(_ => new HydrateChannel<Price>(_bus, "bench")).ToArray();
        _messages = [.. Enumerable.Range(0, Frames).Select(i =>
        {
            var sender = senders[i % senders.Length];
            return new TransportMessage("bench", sender.Encode(sender.CreateUpsert($"k{i % 100}", new Price("MSFT", i))));
        })];
        _withRecovery = new HydrateChannel<Price>(_bus, "bench");
        _withRecovery.StartRecoveryAsync(receiving: true).GetAwaiter().GetResult();
        var off = new HydrateChannelOptions<Price>();
        off.Recovery.Enabled = false;
        _withoutRecovery = new HydrateChannel<Price>(_bus, "bench", off);
        _cacheWith = new LocalHydratedCache<Price>();
        _cacheWithout = new LocalHydratedCache<Price>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withRecovery.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _cacheWith.Dispose();
        _cacheWithout.Dispose();
        _bus.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames)]
    public int RecoveryOff() => ApplyAll(_withoutRecovery, _cacheWithout);

    [Benchmark(OperationsPerInvoke = Frames)]
    public int RecoveryOn() => ApplyAll(_withRecovery, _cacheWith);

    private int ApplyAll(HydrateChannel<Price> channel, LocalHydratedCache<Price> cache)
    {
        var applied = 0;
        foreach (var message in _messages)
        {
            if (channel.Apply(message, cache) is not null)
            {
                applied++;
            }
        }

        return applied;
    }
}
