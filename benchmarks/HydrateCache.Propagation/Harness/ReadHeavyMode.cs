using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HydrateCache.Samples;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// <c>--mode readheavy</c>: N nodes serve a read-heavy workload over many keys with a steady write rate, on one Redis,
/// three ways: read-through with a short local TTL (MemoryCache, a Redis GET per miss, SET on write), FusionCache
/// L1 + L2 + backplane, and HydrateCache (every node hydrated over Redis pub/sub, reads from its local cache). Reported:
/// central-store reads per second (counted by the clients, and cross-checked with Redis' INFO commandstats), read
/// latency, and stale reads (a read that returned an older version than the last write completed before the read began).
/// </summary>
internal static class ReadHeavyMode
{
    /// <summary>The Redis commands that read a cached value (RedisCache uses HGET/HMGET, read-through GET).</summary>
    private static readonly string[] ReadCommands = ["get", "mget", "hget", "hmget", "hgetall"];

    public static Task<int> RunAsync(Arguments args)
    {
        var settings = new ReadHeavySettings(
            args.Int("--keys", 10_000),
            args.Int("--nodes", 3),
            args.Double("--ops", 5000),
            args.Int("--read-percent", 95),
            TimeSpan.FromMilliseconds(args.Int("--local-ttl-ms", 1000)),
            TimeSpan.FromSeconds(args.Double("--warmup-s", 5)),
            TimeSpan.FromSeconds(args.Double("--measure-s", 20)));
        var variants = args.List("--variants") ?? ["readthrough", "fusioncache", "hydrate"];
        var cases = variants.Select(v => new BenchCase(new CaseKey("redis", v), () => RunOnceAsync(v, settings))).ToList();
        var report = new Report
        {
            Mode = "readheavy",
            Title = "Read-heavy workload: central-store reads and read latency",
            Description =
            [
                Stats.Invariant($"{settings.Keys} keys (uniform), {settings.Nodes} nodes, {settings.Ops:0} operations/s offered by one paced driver (round-robin over the nodes, each awaited), {settings.ReadPercent} % reads, the rest writes;"),
                Stats.Invariant($"{settings.Warmup.TotalSeconds:0} s warm-up, then a {settings.Measure.TotalSeconds:0} s window. readthrough: MemoryCache with a {settings.LocalTtl.TotalMilliseconds:0} ms TTL, GET on miss, SET on write (STJ). fusioncache: L1 + L2 (RedisCache) + backplane, TryGetAsync / SetAsync."),
                "hydrate: a HydrateChannel per node over Redis pub/sub hydrating its LocalHydratedCache (TryGet); writes PublishAsync. central reads/s: reads the clients sent to Redis (counted in the harness);",
                "server read cmds/s: Redis INFO commandstats (GET, MGET, HGET, HMGET, HGETALL) over the window, every client of that server. stale: reads older than the last completed write of the key.",
                "Target (issue 9): hydrate has zero central-store reads at steady state, and read latency at the micro-benchmark level.",
            ],
            Columns =
            [
                new Column("central_reads_per_s", "central reads/s"),
                new Column("server_read_cmds_per_s", "server read cmds/s"),
                new Column("read_p50_us", "read p50 µs"),
                new Column("read_p99_us", "read p99 µs"),
                new Column("read_p999_us", "read p99.9 µs"),
                new Column("stale_pct", "stale %"),
                new Column("ops_per_s", "ops/s done"),
                new Column("writes_per_s", "writes/s"),
            ],
            VerdictHeader = "target",
            Verdict = (key, medians) => key.Variant != "hydrate"
                ? string.Empty
                : medians[key, "central_reads_per_s"] == 0 ? "zero central reads: met" : "zero central reads: MISSED",
        };
        return Runner.RunAsync(report, cases, args.Int("--repeat", 3), args.Text("--out"));
    }

    private static async Task<RunResult> RunOnceAsync(string variant, ReadHeavySettings settings)
    {
        var endpoint = TransportChoice.Create("redis").Endpoint!;
        await using ReadHeavySystem system = variant switch
        {
            "readthrough" => await ReadThroughSystem.CreateAsync(endpoint, settings),
            "fusioncache" => await FusionSystem.CreateAsync(endpoint, settings),
            "hydrate" => await HydrateSystem.CreateAsync(settings),
            _ => throw new ArgumentException($"Unknown read-heavy variant '{variant}': use readthrough, fusioncache or hydrate."),
        };
        await using var admin = await ConnectionMultiplexer.ConnectAsync(endpoint + ",allowAdmin=true");
        var server = admin.GetServers()[0];
        var latest = new int[settings.Keys];
        var keys = Enumerable.Range(0, settings.Keys).Select(k => $"item-{k}").ToArray();
        var writes = 0;
        for (var k = 0; k < settings.Keys; k++)
        {
            await system.WriteAsync(k % settings.Nodes, keys[k], new Tick(writes, Stopwatch.GetTimestamp()));
            latest[k] = writes++;
        }

        await system.WhenLoadedAsync(keys, latest);
        var random = new Random(42);
        var pacer = new Pacer(settings.Ops);
        var readLatencies = new List<double>();
        var stale = 0;
        var ops = 0;
        var windowWrites = 0;
        var warmupEnd = Stopwatch.GetTimestamp() + (long)(settings.Warmup.TotalSeconds * Stopwatch.Frequency);
        var measuring = false;
        long windowStart = 0, centralStart = 0, serverStart = 0;
        var end = long.MaxValue;
        for (var op = 0; Stopwatch.GetTimestamp() < end; op++)
        {
            if (!measuring && Stopwatch.GetTimestamp() >= warmupEnd)
            {
                measuring = true;
                centralStart = system.CentralReads;
                serverStart = await ServerReadsAsync(server);
                windowStart = Stopwatch.GetTimestamp();
                end = windowStart + (long)(settings.Measure.TotalSeconds * Stopwatch.Frequency);
            }

            pacer.WaitNext();
            var node = op % settings.Nodes;
            var k = random.Next(settings.Keys);
            if (random.Next(100) < settings.ReadPercent)
            {
                var before = Volatile.Read(ref latest[k]);
                var started = Stopwatch.GetTimestamp();
                var seen = await system.ReadAsync(node, keys[k]);
                if (measuring)
                {
                    readLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    stale += seen < before ? 1 : 0;
                    ops++;
                }
            }
            else
            {
                var sequence = writes++;
                await system.WriteAsync(node, keys[k], new Tick(sequence, Stopwatch.GetTimestamp()));
                Volatile.Write(ref latest[k], sequence);
                if (measuring)
                {
                    windowWrites++;
                    ops++;
                }
            }
        }

        var window = Stopwatch.GetElapsedTime(windowStart).TotalSeconds;
        var centralReads = system.CentralReads - centralStart;
        var serverReads = await ServerReadsAsync(server) - serverStart;
        readLatencies.Sort();
        var result = new RunResult { Latencies = [.. readLatencies.Select(us => us / 1000)] };
        result["central_reads_per_s"] = centralReads / window;
        result["server_read_cmds_per_s"] = serverReads / window;
        result["read_p50_us"] = Stats.Percentile(readLatencies, 50);
        result["read_p99_us"] = Stats.Percentile(readLatencies, 99);
        result["read_p999_us"] = Stats.Percentile(readLatencies, 99.9);
        result["stale_pct"] = readLatencies.Count == 0 ? double.NaN : 100.0 * stale / readLatencies.Count;
        result["ops_per_s"] = ops / window;
        result["writes_per_s"] = windowWrites / window;
        return result;
    }

    /// <summary>Sums the calls of the read commands in Redis' INFO commandstats.</summary>
    private static async Task<long> ServerReadsAsync(IServer server)
    {
        var info = await server.InfoAsync("commandstats");
        long calls = 0;
        foreach (var pair in info.SelectMany(group => group))
        {
            // cmdstat_get: calls=12,usec=34,...
            if (pair.Key.StartsWith("cmdstat_", StringComparison.Ordinal) && ReadCommands.Contains(pair.Key["cmdstat_".Length..]))
            {
                var calls0 = pair.Value.Split(',')[0];
                calls += long.Parse(calls0["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }
}

/// <summary>The settings of the read-heavy mode.</summary>
internal sealed record ReadHeavySettings(int Keys, int Nodes, double Ops, int ReadPercent, TimeSpan LocalTtl, TimeSpan Warmup, TimeSpan Measure);

/// <summary>N nodes of one caching approach.</summary>
internal abstract class ReadHeavySystem : IAsyncDisposable
{
    /// <summary>Gets the reads the nodes sent to the central store so far.</summary>
    public abstract long CentralReads { get; }

    /// <summary>Reads a key on a node: the sequence of the value seen (-1: none).</summary>
    public abstract ValueTask<int> ReadAsync(int node, string key);

    public abstract ValueTask WriteAsync(int node, string key, Tick value);

    /// <summary>Completes once every node can serve every preloaded key.</summary>
    public virtual Task WhenLoadedAsync(string[] keys, int[] latest) => Task.CompletedTask;

    public abstract ValueTask DisposeAsync();
}

/// <summary>Read-through with a short local TTL: MemoryCache per node, Redis GET on miss, SET on write.</summary>
internal sealed class ReadThroughSystem : ReadHeavySystem
{
    private readonly List<(ConnectionMultiplexer Connection, IDatabase Database, MemoryCache Local)> _nodes = [];
    private readonly TimeSpan _ttl;
    private long _reads;

    private ReadThroughSystem(TimeSpan ttl) => _ttl = ttl;

    public override long CentralReads => Interlocked.Read(ref _reads);

    public static async Task<ReadHeavySystem> CreateAsync(string endpoint, ReadHeavySettings settings)
    {
        var system = new ReadThroughSystem(settings.LocalTtl);
        for (var i = 0; i < settings.Nodes; i++)
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
            system._nodes.Add((connection, connection.GetDatabase(), new MemoryCache(new MemoryCacheOptions())));
        }

        return system;
    }

    public override async ValueTask<int> ReadAsync(int node, string key)
    {
        var (_, database, local) = _nodes[node];
        if (local.TryGetValue(key, out Tick? cached) && cached is not null)
        {
            return cached.Sequence;
        }

        Interlocked.Increment(ref _reads);
        var value = await database.StringGetAsync($"rt:{key}");
        if (value.IsNull)
        {
            return -1;
        }

        var tick = JsonSerializer.Deserialize<Tick>((byte[])value!)!;
        local.Set(key, tick, _ttl);
        return tick.Sequence;
    }

    public override async ValueTask WriteAsync(int node, string key, Tick value)
    {
        var (_, database, local) = _nodes[node];
        await database.StringSetAsync($"rt:{key}", JsonSerializer.SerializeToUtf8Bytes(value));
        local.Set(key, value, _ttl);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var (connection, _, local) in _nodes)
        {
            local.Dispose();
            await connection.DisposeAsync();
        }
    }
}

/// <summary>FusionCache L1 + L2 + backplane on every node.</summary>
internal sealed class FusionSystem : ReadHeavySystem
{
    private readonly List<FusionNode> _nodes = [];

    public override long CentralReads => _nodes.Sum(n => n.Level2.Reads);

    public static async Task<ReadHeavySystem> CreateAsync(string endpoint, ReadHeavySettings settings)
    {
        var system = new FusionSystem();
        var cacheName = $"fc-{Guid.NewGuid():N}";
        for (var i = 0; i < settings.Nodes; i++)
        {
            system._nodes.Add(await FusionNode.CreateAsync(endpoint, cacheName));
        }

        return system;
    }

    public override async ValueTask<int> ReadAsync(int node, string key)
    {
        var read = await _nodes[node].Cache.TryGetAsync<Tick>(key);
        return read.HasValue ? read.Value.Sequence : -1;
    }

    public override ValueTask WriteAsync(int node, string key, Tick value) => _nodes[node].Cache.SetAsync(key, value);

    /// <summary>Every node reads every key once, so L1s are warm as in a steady state (those reads happen before the window).</summary>
    public override async Task WhenLoadedAsync(string[] keys, int[] latest)
    {
        foreach (var node in _nodes)
        {
            foreach (var key in keys)
            {
                await node.Cache.TryGetAsync<Tick>(key);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}

/// <summary>HydrateCache: a channel per node over Redis pub/sub, each hydrating its own local cache; reads never leave the node.</summary>
internal sealed class HydrateSystem : ReadHeavySystem
{
    private readonly TransportChoice _transports = TransportChoice.Create("redis");
    private readonly List<(HydrateChannel<Tick> Channel, LocalHydratedCache<Tick> Cache, ITransport Client)> _nodes = [];
    private readonly List<Task> _hydrations = [];
    private readonly CancellationTokenSource _stop = new();

    public override long CentralReads => 0;

    public static async Task<ReadHeavySystem> CreateAsync(ReadHeavySettings settings)
    {
        var system = new HydrateSystem();
        var topicPrefix = $"bench-{Guid.NewGuid():N}.";
        for (var i = 0; i < settings.Nodes; i++)
        {
            var cache = new LocalHydratedCache<Tick>();
            var client = system._transports.CreateClient();
            var channel = new HydrateChannel<Tick>(client, "items", new HydrateChannelOptions<Tick> { TopicPrefix = topicPrefix, LocalCache = cache });
            system._nodes.Add((channel, cache, client));
            system._hydrations.Add(channel.HydrateAsync(cache, system._stop.Token));
        }

        // Subscriptions become live in the background: publish until every node has a warm-up key, so no preload is missed.
        for (var attempt = 0; system._nodes.Any(n => !n.Cache.TryGet("warmup", out _)); attempt++)
        {
            if (attempt > 600)
            {
                await system.DisposeAsync();
                throw new TimeoutException("the nodes did not receive the warm-up update within 60 s");
            }

            await system._nodes[0].Channel.PublishAsync("warmup", new Tick(-1, Stopwatch.GetTimestamp()));
            await Task.Delay(100);
        }

        return system;
    }

    public override ValueTask<int> ReadAsync(int node, string key) =>
        ValueTask.FromResult(_nodes[node].Cache.TryGet(key, out var tick) ? tick.Sequence : -1);

    public override ValueTask WriteAsync(int node, string key, Tick value) => _nodes[node].Channel.PublishAsync(key, value);

    public override async Task WhenLoadedAsync(string[] keys, int[] latest)
    {
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (_nodes.Any(n => n.Cache.Count < keys.Length + 1))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("the nodes did not hold every preloaded key within 60 s");
            }

            await Task.Delay(20);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_hydrations);
        foreach (var (channel, cache, client) in _nodes)
        {
            await channel.DisposeAsync();
            cache.Dispose();
            await client.DisposeAsync();
        }

        await _transports.DisposeAsync();
        _stop.Dispose();
    }
}
