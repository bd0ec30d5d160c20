using System.Diagnostics;
using HydrateCache.TestKit;

namespace HydrateCache.Orleans.Tests;

/// <summary>
/// The writers of the convergence tests: grains spread over the silos write <c>keys</c> keys in <c>passes</c> passes
/// (each key belongs to one writer, which writes it in order; a pass starts when the previous one is done), and the last
/// pass deletes every tenth key. A fault hook runs once in every pass, after a given number of that pass's writes, while
/// the other writers keep going; the last fault therefore falls in the last pass and nothing is written after that pass
/// (the test ends with the loss). A write the transport refuses during the fault is retried until it is accepted, so
/// every key's final state is known: <see cref="WaitUntilEverySiloHoldsFinalStateAsync"/> waits until every silo holds
/// exactly that, no key missing, none stale, no deleted key present.
/// </summary>
internal sealed class GrainWriteWorkload(HydrateClusterFixture fixture, int keys, int passes, int writers = 8)
{
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(60);
    private int _retried;

    /// <summary>Gets the prefix of this workload's keys, unique to it.</summary>
    public string Prefix { get; } = $"w-{Guid.NewGuid():N}-";

    /// <summary>Gets how many writes the transport refused (during a fault) and were sent again.</summary>
    public int Retried => Volatile.Read(ref _retried);

    /// <summary>Gets how many writes were accepted, deletes included.</summary>
    public int Writes => keys * passes;

    /// <summary>Gets when the last write was accepted.</summary>
    public long FinishedAt { get; private set; }

    /// <summary>
    /// Writes every pass, one after the other. <paramref name="fault"/> (given the pass number) runs after
    /// <paramref name="faultAfter"/> writes of each pass, while the other writers go on; <paramref name="beforePass"/>
    /// runs before each pass, while nobody writes.
    /// </summary>
    public async Task RunAsync(Func<int, Task>? fault = null, int faultAfter = 0, Func<int, Task>? beforePass = null)
    {
        Assert.True(passes >= 2, "the last pass deletes keys written before");
        for (var pass = 0; pass < passes; pass++)
        {
            if (beforePass is not null)
            {
                await beforePass(pass);
            }

            var writesInPass = 0;
            var current = pass;
            await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
            {
                for (var i = writer; i < keys; i += writers)
                {
                    await WriteAsync(current, i);
                    if (fault is not null && Interlocked.Increment(ref writesInPass) == faultAfter)
                    {
                        await fault(current);
                    }
                }
            }));
        }

        FinishedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Waits (up to 60 s) until every active silo holds exactly the final state; returns the time since the last write.</summary>
    public async Task<TimeSpan> WaitUntilEverySiloHoldsFinalStateAsync()
    {
        await Eventually.TrueAsync(
            () => fixture.Caches<PriceRecord>().All(c => Wrong(c.Cache).Count == 0),
            () => "every silo holds every key's final state; still wrong: " + string.Join("; ", fixture.Caches<PriceRecord>().Select(c =>
            {
                var wrong = Wrong(c.Cache);
                return $"{c.Silo}: {wrong.Count} keys (first: {string.Join(", ", wrong.Take(5))})";
            })),
            TimeSpan.FromSeconds(60));
        return Stopwatch.GetElapsedTime(FinishedAt);
    }

    private static bool IsDeleted(int key) => key % 10 == 0;

    private static decimal ValueOf(int pass, int key) => (pass * 100_000) + key;

    /// <summary>The keys of <paramref name="cache"/> that differ from their final state, described.</summary>
    private List<string> Wrong(ILocalHydratedCache<PriceRecord> cache)
    {
        var wrong = new List<string>();
        for (var i = 0; i < keys; i++)
        {
            var held = cache.TryGet(Prefix + i, out var price);
            if (IsDeleted(i) && held)
            {
                wrong.Add($"{i} not deleted ({price!.Value})");
            }
            else if (!IsDeleted(i) && !held)
            {
                wrong.Add($"{i} missing");
            }
            else if (!IsDeleted(i) && price!.Value != ValueOf(passes - 1, i))
            {
                wrong.Add($"{i} stale ({price.Value})");
            }
        }

        return wrong;
    }

    private async Task WriteAsync(int pass, int key)
    {
        var grain = fixture.Cluster.Client.GetGrain<IPriceGrain>(Prefix + key);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                if (pass == passes - 1 && IsDeleted(key))
                {
                    await grain.RemoveAsync();
                }
                else
                {
                    await grain.SetAsync(ValueOf(pass, key));
                }

                return;
            }
            catch (Exception) when (!TestContext.Current.CancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(started) < RetryFor)
            {
                // Refused during the fault (server down, silo gone). It may have been published or not: the same value again is harmless.
                Interlocked.Increment(ref _retried);
                await Task.Delay(50);
            }
        }
    }
}
