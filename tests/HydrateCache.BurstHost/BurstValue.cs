namespace HydrateCache.BurstHost;

/// <summary>The value of every burst update: the publisher's pass over the key space that wrote it, and its payload.</summary>
/// <param name="Pass">The pass (0-based): key <c>k</c> of pass <c>p</c> is update number <c>p * keys + k</c>.</param>
/// <param name="Data">The payload (1 KiB by default).</param>
public sealed record BurstValue(long Pass, byte[] Data);
