using HydrateCache.Kafka;
using HydrateCache.Nats;
using HydrateCache.Postgres;
using HydrateCache.Redis;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace HydrateCache.Samples;

/// <summary>
/// Builds the transport a sample or the propagation harness runs on. <c>inmemory</c> needs no server; the others connect
/// to the endpoint given (<c>--endpoint</c>), else the <c>HYDRATECACHE_*</c> variable, else the endpoint that
/// <c>eng/services.sh up</c> wrote to <c>artifacts/services/services.env</c>, else the <c>docker compose up</c> default.
/// </summary>
internal sealed class TransportChoice : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly InMemoryTransport? _bus;

    private TransportChoice(string name, string? endpoint)
    {
        Name = name;
        Endpoint = endpoint;
        if (name == "inmemory")
        {
            _bus = new InMemoryTransport();
        }
    }

    /// <summary>
    /// A short fetch wait: librdkafka's mock broker (eng/services.sh) answers a fetch only when it runs out, so it is the
    /// latency floor there. A real broker answers as soon as data arrives; the 100 ms default costs it nothing.
    /// </summary>
    private static readonly TimeSpan KafkaFetchWait = TimeSpan.FromMilliseconds(5);

    public string Name { get; }

    public string? Endpoint { get; }

    /// <summary>Gets the transports this helper knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["inmemory", "redis", "nats", "postgres", "kafka"];

    public static TransportChoice FromArgs(string[] args) =>
        Create(ReadOption(args, "--transport") ?? "inmemory", ReadOption(args, "--endpoint"));

    public static TransportChoice Create(string transport, string? endpoint = null)
    {
        var name = transport.ToLowerInvariant();
        var (variable, fallback) = name switch
        {
            "inmemory" => (null, null),
            "nats" => ("HYDRATECACHE_NATS", "nats://127.0.0.1:4222"),
            "postgres" => ("HYDRATECACHE_POSTGRES", "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres"),
            "kafka" => ("HYDRATECACHE_KAFKA", "127.0.0.1:9092"),
            "redis" => ("HYDRATECACHE_REDIS", "127.0.0.1:6379"),
            _ => throw new ArgumentException($"Unknown transport '{name}'. Use inmemory, redis, nats, postgres or kafka."),
        };
        endpoint ??= variable is null ? null : Environment.GetEnvironmentVariable(variable) ?? FromServicesEnvFile(variable) ?? fallback;
        return new TransportChoice(name, endpoint);
    }

    /// <summary>Gets whether <c>eng/services.sh</c> or the environment names a server for <paramref name="transport"/>.</summary>
    public static bool HasConfiguredServer(string transport)
    {
        var variable = "HYDRATECACHE_" + transport.ToUpperInvariant();
        return Environment.GetEnvironmentVariable(variable) is not null || FromServicesEnvFile(variable) is not null;
    }

    private static string? FromServicesEnvFile(string variable)
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var file = Path.Combine(directory.FullName, "artifacts", "services", "services.env");
            if (File.Exists(file))
            {
                return File.ReadLines(file)
                    .Where(line => line.StartsWith(variable + "=", StringComparison.Ordinal))
                    .Select(line => line[(variable.Length + 1)..].Trim())
                    .FirstOrDefault();
            }
        }

        return null;
    }

    /// <summary>Creates the transport of one silo or process: a shared bus in memory, its own client (connection) otherwise.</summary>
    /// <param name="loggerFactory">Where the transport logs (drops, reconnects); none when <see langword="null"/>.</param>
    public ITransport CreateClient(ILoggerFactory? loggerFactory = null) => Name switch
    {
        "inmemory" => _bus!,
        "redis" => new RedisTransport(Own(ConnectionMultiplexer.Connect(Endpoint!)), new RedisTransportOptions { LoggerFactory = loggerFactory }),
        "nats" => new NatsTransport(Own(new NatsConnection(new NatsOpts { Url = Endpoint!, Name = "hydratecache-sample" })), new NatsTransportOptions { LoggerFactory = loggerFactory }),
        "postgres" => new PostgresTransport(Own(NpgsqlDataSource.Create(Endpoint!)), new PostgresTransportOptions { LoggerFactory = loggerFactory }),
        "kafka" => new KafkaTransport(new KafkaTransportOptions { BootstrapServers = Endpoint!, ConsumerFetchWaitMax = KafkaFetchWait, LoggerFactory = loggerFactory }),
        _ => throw new InvalidOperationException(Name),
    };

    /// <summary>Gets whether every silo shares one transport instance (which the silos must then not dispose).</summary>
    public bool IsShared => _bus is not null;

    public async ValueTask DisposeAsync()
    {
        foreach (var resource in Enumerable.Reverse(_owned))
        {
            await resource.DisposeAsync();
        }

        if (_bus is not null)
        {
            await _bus.DisposeAsync();
        }
    }

    private T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        lock (_owned)
        {
            _owned.Add(resource);
        }

        return resource;
    }

    private static string? ReadOption(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
