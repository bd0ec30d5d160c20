using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HydrateCache;
using HydrateCache.Orleans;
using HydrateCache.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

// A fresh application built against the packed HydrateCache packages (see eng/smoke-package.sh): one silo with the
// core package's in-memory transport; a grain publishes through IHydratePublisher<T>, and the value is read back
// through ILocalHydratedCache<T>, inside a grain and from the host's services. Exit code 0 when everything holds.
var clock = Stopwatch.StartNew();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
IHost? host = null;
try
{
    // The Redis transport package restored and its assembly (with StackExchange.Redis) loads; nothing connects.
    var redisOptions = new RedisTransportOptions { TopicPrefix = "smoke:" };
    Console.WriteLine($"Loaded {typeof(RedisTransport).Assembly.GetName().Name} (TopicPrefix '{redisOptions.TopicPrefix}').");

    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.SetMinimumLevel(LogLevel.Error);
    builder.UseOrleans(silo => silo
        .UseLocalhostClustering(FreePort(), FreePort())
        .AddHydrateCacheStreams(hydrate => hydrate
            .AddTransport("bus", _ => new InMemoryTransport())
            .AddChannel<Price>("prices", "bus")));
    host = builder.Build();
    await host.StartAsync(timeout.Token);
    Console.WriteLine($"Silo started ({clock.ElapsedMilliseconds} ms).");

    var grain = host.Services.GetRequiredService<IGrainFactory>().GetGrain<IPriceGrain>("MSFT");
    var cache = host.Services.GetRequiredService<ILocalHydratedCache<Price>>();

    await grain.SetAsync(412.5m);
    await Expect("the published value, read in the grain", async () => await grain.GetAsync() == 412.5m);
    await Expect("the published value, read from the host's services",
        () => Task.FromResult(cache.TryGet("MSFT", out var price) && price == new Price("MSFT", 412.5m)));

    await grain.RemoveAsync();
    await Expect("the removal, read in the grain", async () => await grain.GetAsync() is null);

    await host.StopAsync(timeout.Token);
    Console.WriteLine($"SMOKE PASS: published from a grain and read back through ILocalHydratedCache<T> ({clock.ElapsedMilliseconds} ms).");
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"SMOKE FAIL: {ex.Message}");
    Console.Error.WriteLine(ex);
    return 1;
}
finally
{
    host?.Dispose();
}

// Waits up to 10 seconds for a condition (the silo applies updates in the background).
async Task Expect(string what, Func<Task<bool>> condition)
{
    var deadline = Stopwatch.StartNew();
    while (!await condition())
    {
        if (deadline.Elapsed > TimeSpan.FromSeconds(10))
        {
            throw new InvalidOperationException($"Did not see {what} within 10 s.");
        }

        await Task.Delay(50, timeout.Token);
    }

    Console.WriteLine($"OK: {what}.");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

public sealed record Price(string Symbol, decimal Value);

public interface IPriceGrain : IGrainWithStringKey
{
    Task SetAsync(decimal value);

    Task<decimal?> GetAsync();

    Task RemoveAsync();
}

public sealed class PriceGrain(IHydratePublisher<Price> publisher, ILocalHydratedCache<Price> prices) : Grain, IPriceGrain
{
    public Task SetAsync(decimal value) =>
        publisher.PublishAsync(this.GetPrimaryKeyString(), new Price(this.GetPrimaryKeyString(), value));

    public Task<decimal?> GetAsync() =>
        Task.FromResult(prices.TryGet(this.GetPrimaryKeyString(), out var price) ? price.Value : (decimal?)null);

    public Task RemoveAsync() => publisher.RemoveAsync(this.GetPrimaryKeyString());
}
