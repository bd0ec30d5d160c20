using System.Diagnostics;

namespace HydrateCache.Propagation;

/// <summary>The cached value: a sequence number and the <see cref="Stopwatch"/> timestamp of its publish.</summary>
/// <param name="Sequence">The message's number in its run (negative: warm-up).</param>
/// <param name="SentAt">The <see cref="Stopwatch"/> timestamp taken just before the publish.</param>
public sealed record Tick(int Sequence, long SentAt);
