namespace HydrateCache.TestKit;

#pragma warning disable CA1819 // The frame is raw bytes by nature.

/// <summary>One generated hostile frame and what a channel may legitimately do with it.</summary>
/// <param name="Family">What kind of hostility it is, for example "truncation" or "deep-nesting".</param>
/// <param name="Bytes">The frame, published as is.</param>
/// <param name="Topic">Where it is published.</param>
/// <param name="Reasons">The drop reasons a receiving channel may count for it (one when the outcome is determined).</param>
/// <param name="MayBeAccepted">Whether a channel may also accept it (a random mutation that can still be a valid frame);
/// such frames serve the no-throw properties, never tests that assert a cache is unchanged.</param>
public sealed record HostileFrame(string Family, byte[] Bytes, HostileTopic Topic, IReadOnlyList<HydrateDropReason> Reasons, bool MayBeAccepted = false)
{
    /// <summary>Gets whether exactly one drop reason is possible.</summary>
    public bool IsDetermined => Reasons.Count == 1 && !MayBeAccepted;

    public override string ToString() => $"{Topic}/{Family} ({Bytes.Length} bytes, {string.Join("|", Reasons)}{(MayBeAccepted ? "|accepted" : string.Empty)}): {Convert.ToHexStringLower(Bytes.AsSpan(0, Math.Min(Bytes.Length, 48)))}{(Bytes.Length > 48 ? "..." : string.Empty)}";
}
