using BenchmarkDotNet.Running;

namespace HydrateCache.Benchmarks;

/// <summary>
/// Runs the micro benchmarks: <c>dotnet run -c Release --project benchmarks/HydrateCache.Benchmarks -- --filter '*'</c>.
/// Every benchmark class has a baseline measured in the same run; read the Ratio column.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
