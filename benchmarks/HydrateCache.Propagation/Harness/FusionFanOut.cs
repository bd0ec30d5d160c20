using System.Collections.Concurrent;
using System.Diagnostics;
using HydrateCache.Samples;
using ZiggyCreatures.Caching.Fusion;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// FusionCache L1 + L2 + backplane (<see cref="FusionNode"/>) on the same Redis: node 0 writes with <c>SetAsync</c>
/// (L1, then L2, then the backplane notification); on every other node, each backplane notification starts a reader that
/// reads the key (<c>TryGetAsync</c>: L1, or L2 once the notification evicted L1) until it returns the written update or
/// a newer one. An arrival of the notified write is that read: "write → visible" as a caller on that node would see it, at the earliest
/// (readers that happen to read later see it later). Every node holds every key in L1 before the measurement, so a
/// stale L1 copy is what the backplane has to replace. Receivers: the N − 1 nodes other than the writer's.
/// </summary>
internal sealed class FusionFanOut : FanOut
{
    private readonly List<FusionNode> _nodes = [];
    private readonly int[] _latest = new int[Keys + 1];
    private readonly ConcurrentDictionary<int, long> _sentAt = new();
    private int[][] _visibleUpTo = [];

    private FusionFanOut()
    {
    }

    public override int Receivers => _nodes.Count - 1;

    public static async Task<FanOut> CreateAsync(int nodes)
    {
        if (nodes < 2)
        {
            throw new ArgumentException("FusionCache needs at least 2 nodes (the writer and a receiver).");
        }

        var endpoint = TransportChoice.Create("redis").Endpoint!;
        var fanOut = new FusionFanOut();
        try
        {
            var cacheName = $"fc-{Guid.NewGuid():N}";
            for (var i = 0; i < nodes; i++)
            {
                var node = await FusionNode.CreateAsync(endpoint, cacheName);
                fanOut._nodes.Add(node);
                if (i > 0)
                {
                    var receiver = i - 1;
                    node.Cache.Events.Backplane.MessageReceived += (_, e) => fanOut.OnNotified(receiver, node.Cache, e.Message.CacheKey);
                }
            }

            // Every key in every node's L1 (a stale copy there is what each write has to replace).
            for (var k = 0; k <= Keys; k++)
            {
                var key = k == Keys ? KeyOf(-1) : KeyOf(k);
                await fanOut._nodes[0].Cache.SetAsync(key, new Tick(-2, 0));
                foreach (var node in fanOut._nodes.Skip(1))
                {
                    await node.Cache.GetOrDefaultAsync<Tick>(key);
                }
            }

            Array.Fill(fanOut._latest, -2);
            fanOut._visibleUpTo = [.. Enumerable.Range(0, nodes - 1).Select(_ => Enumerable.Repeat(-1, Keys).ToArray())];
            return fanOut;
        }
        catch
        {
            await fanOut.DisposeAsync();
            throw;
        }
    }

    public override async ValueTask PublishAsync(int sequence)
    {
        Volatile.Write(ref _latest[SlotOf(sequence)], sequence);
        var sentAt = Stopwatch.GetTimestamp();
        _sentAt[sequence] = sentAt;
        await _nodes[0].Cache.SetAsync(KeyOf(sequence), new Tick(sequence, sentAt));
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>
    /// Records every write of the key up to <paramref name="seen"/> not yet visible at the receiver as visible now: a write
    /// is visible once it or a newer write of its key is (under load a read can skip straight to a newer one; the older
    /// write was superseded, not lost).
    /// </summary>
    private void Visible(int receiver, int slot, int seen)
    {
        if (seen < 0)
        {
            Arrived(receiver, seen, 0);
            return;
        }

        lock (_visibleUpTo[receiver])
        {
            var upTo = _visibleUpTo[receiver];
            for (var sequence = upTo[slot] < 0 ? slot : upTo[slot] + Keys; sequence <= seen; sequence += Keys)
            {
                Arrived(receiver, sequence, _sentAt.TryGetValue(sequence, out var sentAt) ? sentAt : 0);
            }

            upTo[slot] = Math.Max(upTo[slot], seen);
        }
    }

    private static int SlotOf(int sequence) => sequence < 0 ? Keys : sequence % Keys;

    private void OnNotified(int receiver, FusionCache cache, string? key)
    {
        if (key is null || !(key == KeyOf(-1) || key.StartsWith("key-", StringComparison.Ordinal)))
        {
            return;
        }

        var slot = key == KeyOf(-1) ? Keys : int.Parse(key.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
        var wanted = Volatile.Read(ref _latest[slot]);
        _ = Task.Run(async () =>
        {
            // Read until the notified write (or a newer one) is visible; a read may still see the stale L1 copy if it runs
            // before the notification's eviction. Back-to-back at first, then every millisecond (so that pollers do not
            // starve the nodes of CPU), for at most 15 s (longer than the modes' drain wait).
            var deadline = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
            for (var attempt = 0; Stopwatch.GetTimestamp() < deadline; attempt++)
            {
                var read = await cache.TryGetAsync<Tick>(key);
                if (read.HasValue && read.Value.Sequence >= wanted)
                {
                    Visible(receiver, slot, read.Value.Sequence);
                    return;
                }

                if (attempt < 50)
                {
                    await Task.Yield();
                }
                else
                {
                    await Task.Delay(1);
                }
            }
        });
    }
}
