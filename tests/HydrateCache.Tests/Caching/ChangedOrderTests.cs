using System.Collections.Concurrent;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Caching;

/// <summary><see cref="LocalHydratedCache{T}.Changed"/> is raised in version order per key, also under concurrent applies.</summary>
[TestSuite("BVT"), TestProvider("None"), TestArea("Cache")]
public class ChangedOrderTests
{
    // One sender: the events carry the timestamp, not the sender id that breaks ties between equal timestamps.
    private static readonly Guid Sender = new("00000000-0000-0000-0000-00000000000a");

    [Fact]
    public async Task Changed_ManyThreadsApplyRandomVersionsOfFewKeys_EventsPerKeyStrictlyIncrease()
    {
        const int Keys = 4;
        const int Threads = 8;
        const int AppliesPerThread = 5_000;
        using var cache = new LocalHydratedCache<int>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        var events = new ConcurrentDictionary<string, ConcurrentQueue<HybridTimestamp>>();
        var inHandler = new ConcurrentDictionary<string, int>();
        var overlapping = 0;
        cache.Changed += (source, e) =>
        {
            // Handlers of one key never overlap; they may read the cache.
            if (inHandler.AddOrUpdate(e.Key, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref overlapping);
            }

            // A handler that takes a while widens the window in which another thread's newer event could overtake it.
            Thread.SpinWait(Random.Shared.Next(0, 500));
            cache.TryGetVersion(e.Key, out _, out _);
            events.GetOrAdd(e.Key, _ => new()).Enqueue(e.Version);
            inHandler.AddOrUpdate(e.Key, 0, (_, n) => n - 1);
        };

        using var start = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(t);
                start.SignalAndWait();
                for (var i = 0; i < AppliesPerThread; i++)
                {
                    var key = $"k{random.Next(Keys)}";
                    // Mostly rising, as live traffic is, with a wide random spread so applies overtake each other.
                    var version = new HybridTimestamp(i + random.Next(0, 500), (uint)random.Next(3));
                    var kind = random.Next(10) == 0 ? MessageKind.Delete : MessageKind.Upsert;
                    cache.Apply(new TypedMessage<int>(key, kind, i, null, version, Sender, 1));
                }
            },
            TestContext.Current.CancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(workers);

        Assert.Equal(0, overlapping);
        Assert.Equal(Keys, events.Count);
        var raised = 0;
        foreach (var (key, queue) in events)
        {
            var versions = queue.ToList();
            raised += versions.Count;
            for (var i = 1; i < versions.Count; i++)
            {
                Assert.True(versions[i - 1] < versions[i], $"{key}: event {i} has version {versions[i]} after {versions[i - 1]}");
            }

            // The last event is the key's final value (a delete of a key already deleted raises nothing).
            if (cache.TryGetEntry(key, out var final))
            {
                Assert.Equal(final.Version, versions[^1]);
            }
        }

        // The test is meaningful only if there was something to order: many events per key.
        Assert.True(events.Values.All(q => q.Count >= 100), $"events per key: {string.Join(", ", events.Select(e => $"{e.Key}={e.Value.Count}"))}");
    }

    [Fact]
    public void Changed_HandlerWritesTheCache_DoesNotDeadlockAndIsRaisedInOrder()
    {
        using var cache = new LocalHydratedCache<int>(new LocalHydratedCacheOptions { SweepInterval = TimeSpan.Zero });
        var seen = new List<(string Key, long Version)>();
        cache.Changed += (source, e) =>
        {
            seen.Add((e.Key, e.Version.PhysicalTime));
            if (e.Key == "a" && e.Version.PhysicalTime < 3)
            {
                // Re-entrant: queued behind this event, raised after it returns.
                cache.Apply(new TypedMessage<int>("a", MessageKind.Upsert, 0, null, new HybridTimestamp(e.Version.PhysicalTime + 1, 0), Sender, 1));
                Assert.True(cache.TryGet("a", out _));
            }
        };

        cache.Apply(new TypedMessage<int>("a", MessageKind.Upsert, 0, null, new HybridTimestamp(1, 0), Sender, 1));

        Assert.Equal([("a", 1L), ("a", 2L), ("a", 3L)], seen);
    }
}
