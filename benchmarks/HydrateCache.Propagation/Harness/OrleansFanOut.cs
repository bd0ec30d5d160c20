using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HydrateCache.Orleans;
using HydrateCache.Samples;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HydrateCache.Propagation.Harness;

/// <summary>A grain that publishes, as a real grain's write path would.</summary>
public interface IBenchWriterGrain : IGrainWithStringKey
{
    /// <summary>Publishes update <paramref name="sequence"/>, stamped inside the grain just before the publish.</summary>
    Task PublishAsync(int sequence);

    /// <summary>Gets the address of the silo the grain lives on.</summary>
    Task<string> GetSiloAsync();
}

/// <summary>
/// The writer grain. Placed on the silo that calls it, so every writer lives on one silo and the receivers are the
/// others.
/// </summary>
[global::Orleans.Placement.PreferLocalPlacement]
public sealed class BenchWriterGrain(IHydratePublisher<Tick> publisher, ILocalSiloDetails silo) : Grain, IBenchWriterGrain
{
    public Task PublishAsync(int sequence) => OrleansFanOut.Publish(publisher, sequence);

    public Task<string> GetSiloAsync() => Task.FromResult(silo.SiloAddress.ToString());
}

/// <summary>
/// Ours through Orleans: N silos in this process (localhost clustering, each silo its own transport client, as
/// separate processes would have), <c>AddHydrateCacheStreams</c> with one channel; writer grains on one silo publish
/// (the harness calls one per message, at the paced rate; one grain per key, as a grain owns its data, so publishes
/// of different keys run on different activations and those of one key one after the other), or, in the variant
/// <c>orleans-direct</c>, code of the writer's silo outside grains calls <see cref="IHydratePublisher{T}"/> itself (as
/// an endpoint hosted in the silo would: the same library path without a grain call per update), and an
/// arrival is the <see cref="ILocalHydratedCache{T}.Changed"/>
/// event of a silo's cache. The writer's own silo applies its write at once (not recorded); the receivers are the
/// other N − 1 silos, so "visible on all" is visible on every silo of the cluster.
/// </summary>
internal sealed class OrleansFanOut : FanOut
{
    private readonly List<IHost> _silos = [];
    private readonly TransportChoice _transports;
    private readonly int[] _receiverOfSilo;
    /// <summary>The number of writer grains: one per key.</summary>
    public const int Writers = Keys;

    private IBenchWriterGrain[] _writers = [];

    private readonly bool _throughGrains;
    private IHydratePublisher<Tick>? _directPublisher;

    private OrleansFanOut(TransportChoice transports, int silos, bool throughGrains)
    {
        _transports = transports;
        _receiverOfSilo = new int[silos];
        _throughGrains = throughGrains;
    }

    public override int Receivers => _receiverOfSilo.Length - 1;

    /// <summary>Starts <paramref name="silos"/> silos on <paramref name="transport"/>; updates are published by writer grains, or with <paramref name="throughGrains"/> false by the writer silo's <see cref="IHydratePublisher{T}"/> directly.</summary>
    public static async Task<FanOut> CreateAsync(string transport, int silos, bool throughGrains)
    {
        if (silos < 2)
        {
            throw new ArgumentException("The Orleans mode needs at least 2 silos (the writer's and a receiver).");
        }

        var fanOut = new OrleansFanOut(TransportChoice.Create(transport), silos, throughGrains);
        try
        {
            await fanOut.StartAsync();
            return fanOut;
        }
        catch
        {
            await fanOut.DisposeAsync();
            throw;
        }
    }

    public override ValueTask PublishAsync(int sequence) =>
        new(_directPublisher is { } publisher ? Publish(publisher, sequence) : _writers[sequence < 0 ? 0 : sequence % Writers].PublishAsync(sequence));

    /// <summary>Publishes update <paramref name="sequence"/> of the harness, stamped now (in a writer grain or on the writer's silo).</summary>
    internal static Task Publish(IHydratePublisher<Tick> publisher, int sequence) =>
        publisher.PublishAsync(sequence < 0 ? "warmup" : $"key-{sequence % Keys}", new Tick(sequence, Stopwatch.GetTimestamp()));

    public override async ValueTask DisposeAsync()
    {
        foreach (var silo in Enumerable.Reverse(_silos))
        {
            await silo.StopAsync();
            silo.Dispose();
        }

        await _transports.DisposeAsync();
    }

    private async Task StartAsync()
    {
        var topicPrefix = $"bench-{Guid.NewGuid():N}.";
        var ports = Enumerable.Range(0, _receiverOfSilo.Length).Select(_ => (Silo: FreePort(), Gateway: FreePort())).ToArray();
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0].Silo);

        // Until the writer's silo is known, nothing is recorded: receiver -1 is ignored.
        Array.Fill(_receiverOfSilo, -1);
        for (var i = 0; i < _receiverOfSilo.Length; i++)
        {
            var index = i;
            var builder = Host.CreateApplicationBuilder();
            // Warnings to stderr, so that stdout stays the report.
            builder.Logging.ClearProviders().AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
            builder.UseOrleans(silo => silo
                .UseLocalhostClustering(ports[index].Silo, ports[index].Gateway, primary)
                .AddHydrateCacheStreams(hydrate =>
                {
                    _ = _transports.IsShared
                        ? hydrate.AddTransport("bus", _transports.CreateClient())
                        : hydrate.AddTransport("bus", services => _transports.CreateClient(services.GetRequiredService<ILoggerFactory>()));
                    hydrate.AddChannel<Tick>("ticks", "bus").Configure(options => options.TopicPrefix = topicPrefix);
                }));
            var host = builder.Build();
            await host.StartAsync();
            _silos.Add(host);
            host.Services.GetRequiredService<ILocalHydratedCache<Tick>>().Changed += (_, change) =>
            {
                if (change.Result == HydrateApplyResult.Applied && change.Value is { } tick)
                {
                    var receiver = Volatile.Read(ref _receiverOfSilo[index]);
                    if (receiver >= 0)
                    {
                        Arrived(receiver, tick.Sequence, tick.SentAt);
                    }
                }
            };
        }

        var grains = _silos[0].Services.GetRequiredService<IGrainFactory>();
        _writers = [.. Enumerable.Range(0, Writers).Select(i => grains.GetGrain<IBenchWriterGrain>($"writer-{i}"))];
        var writerSilos = (await Task.WhenAll(_writers.Select(w => w.GetSiloAsync()))).Distinct().ToArray();
        if (writerSilos.Length != 1)
        {
            throw new InvalidOperationException($"The writer grains landed on {writerSilos.Length} silos; they must share one.");
        }

        var writerSilo = writerSilos[0];
        var next = 0;
        for (var i = 0; i < _silos.Count; i++)
        {
            var address = _silos[i].Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString();
            Volatile.Write(ref _receiverOfSilo[i], address == writerSilo ? -1 : next++);
            if (address == writerSilo && !_throughGrains)
            {
                _directPublisher = _silos[i].Services.GetRequiredService<IHydratePublisher<Tick>>();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
