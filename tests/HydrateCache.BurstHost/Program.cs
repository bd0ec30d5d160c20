using HydrateCache.BurstHost;

// The burst harness of the README's "Memory" section. By hand, against the servers of eng/services.sh:
//   eng/services.sh up redis && eval "$(eng/services.sh env --shell)"
//   dotnet run -c Release --project tests/HydrateCache.BurstHost -- run --transport redis [--updates 1000000]
//       [--keys 10000] [--value-bytes 1024] [--silos 3] [--converge-timeout-s 120] [--report burst.json]
// "run" starts the silos and the publisher as processes of this same program ("silo" and "publish" modes).
var options = new BurstArgs(args);
return args.FirstOrDefault() switch
{
    "run" => await BurstRun.RunAsync(options),
    "silo" => await BurstSilo.RunAsync(options),
    "publish" => await BurstPublisher.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("Usage: HydrateCache.BurstHost run --transport redis|nats|postgres|kafka [--endpoint E] [--updates N] [--keys K] [--value-bytes B] [--silos S] [--converge-timeout-s T] [--report FILE]");
    return 2;
}
