using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace HydrateCache;

/// <summary>Options of a <see cref="HydrateChannel{T}"/>.</summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
public sealed class HydrateChannelOptions<T>
{
    /// <summary>Gets or sets the payload codec.</summary>
    /// <value>Defaults to <see langword="null"/>: a <see cref="CborCodec{T}"/> is created, which fails at channel
    /// construction when <typeparamref name="T"/> cannot be mapped.</value>
    public ICodec<T>? Codec { get; set; }

    /// <summary>Gets or sets a prefix prepended to the channel name to form the transport topic, for example "myapp.".</summary>
    /// <value>Defaults to none: the topic is the channel name.</value>
    public string? TopicPrefix { get; set; }

    /// <summary>Gets or sets the id this channel instance stamps on its messages.</summary>
    /// <value>Defaults to a new random id per channel instance. Two live instances must never share an id.</value>
    public Guid? SenderId { get; set; }

    /// <summary>Gets or sets the largest frame, in bytes, this channel publishes or accepts.</summary>
    /// <value>Defaults to 1 MiB. Publishing a larger one throws <see cref="HydratePayloadTooLargeException"/>; receiving one
    /// drops it as <see cref="HydrateDropReason.TooLarge"/>. A transport may have a smaller limit of its own.</value>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Gets or sets how far ahead of this process's clock (<see cref="TimeProvider"/>) the physical time of a received
    /// version may be. A frame further ahead is dropped as <see cref="HydrateDropReason.ClockSkew"/> before it reaches the
    /// channel's clock or a cache.
    /// </summary>
    /// <value>Defaults to 1 minute. <see cref="Timeout.InfiniteTimeSpan"/> disables the check; any other value must be positive.</value>
    /// <remarks>
    /// <para>Versions order updates by time, so a version from a clock that runs far ahead wins against every correct
    /// write to its key until the correct clocks catch up, and it drags the clock of every channel that receives it
    /// forward. This bound limits that damage to its own length. One minute is generous for clocks kept by NTP (off by
    /// milliseconds, seconds after a VM resume or a step correction), yet short enough that a host whose clock is
    /// minutes off has its frames dropped and counted, where an operator sees them, instead of silently shadowing
    /// correct writes for as long as its clock is ahead. Raise it only for hosts whose clocks you cannot keep in sync.</para>
    /// <para>Frames from the past are never rejected for skew: ordering by version handles them.</para>
    /// </remarks>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets or sets a local cache that every successful publish of this channel instance is applied to, so the
    /// publishing process reads its own writes as soon as <see cref="HydrateChannel{T}.PublishAsync(string, T, Ttl?, CancellationToken)"/>
    /// returns. The transport's echo of the same message is recognised by its version and not applied twice.
    /// </summary>
    /// <value>Defaults to none.</value>
    public LocalHydratedCache<T>? LocalCache { get; set; }

    /// <summary>Gets the options of loss recovery: heartbeats, retransmission requests and the sender's retransmit window.</summary>
    /// <value>On by default; see <see cref="HydrateRecoveryOptions"/>.</value>
    public HydrateRecoveryOptions Recovery { get; } = new();

    /// <summary>Gets the options of frame signing and payload encryption.</summary>
    /// <value>Both off by default; see <see cref="HydrateSecurityOptions"/>.</value>
    public HydrateSecurityOptions Security { get; } = new();

    /// <summary>
    /// Gets or sets the system of record to load the channel from when no other copy can repair it: at the start of
    /// <see cref="HydrateChannel{T}.HydrateAsync"/>, and after <see cref="HydrateChannel{T}.LossDetected"/> (the Orleans
    /// integration: when a silo has no peer to warm from, and after a loss retransmission could not repair).
    /// </summary>
    /// <value>Defaults to none.</value>
    public IHydrationSource<T>? Source { get; set; }

    /// <summary>
    /// Gets the options of invalidate-only mode: which upserts are broadcast as invalidations (key and version only),
    /// whose value receivers load from <see cref="Source"/> on the next read.
    /// </summary>
    /// <value>Off by default (<see cref="HydrateInvalidationMode.Never"/>); see <see cref="HydrateInvalidationOptions"/>.</value>
    public HydrateInvalidationOptions Invalidation { get; } = new();

    /// <summary>Gets or sets the clock for message versions and TTL checks.</summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger factory.</summary>
    /// <value>Defaults to none (no logging).</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Gets or sets the factory of the <see cref="HydrateCacheDiagnostics.MeterName"/> meter the channel records its
    /// metrics on (listed in the README's Observability section).
    /// </summary>
    /// <value>
    /// Defaults to none: the channel creates a meter of its own, which any <see cref="MeterListener"/> or OpenTelemetry
    /// meter provider listening to <see cref="HydrateCacheDiagnostics.MeterName"/> sees, and disposes it with the channel.
    /// Give the application's <see cref="IMeterFactory"/> (from dependency injection) so that its channels share one meter
    /// and separate hosts in one process (two silos, tests) never share instruments. The Orleans integration passes the
    /// silo's.
    /// </value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets the minimum time between two log messages about dropped frames of the same reason.</summary>
    /// <value>Defaults to 10 seconds. Every drop is counted in <see cref="HydrateChannel{T}.Statistics"/> regardless.</value>
    public TimeSpan DropLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Uses <paramref name="codec"/> for payloads.</summary>
    /// <param name="codec">The codec.</param>
    /// <returns>These options, for chaining.</returns>
    public HydrateChannelOptions<T> WithCodec(ICodec<T> codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        Codec = codec;
        return this;
    }

    /// <summary>Uses a pair of delegates as the payload codec, like the seed library's <c>WithEncoder</c>/<c>WithDecoder</c>.</summary>
    /// <param name="codecId">The codec id written into every envelope, for example "json".</param>
    /// <param name="encoder">Turns a value into bytes.</param>
    /// <param name="decoder">Turns bytes back into a value; it should throw on malformed input.</param>
    /// <returns>These options, for chaining.</returns>
    public HydrateChannelOptions<T> WithCodec(string codecId, Func<T, byte[]> encoder, Func<ReadOnlyMemory<byte>, T> decoder)
    {
        Codec = new DelegateCodec<T>(codecId, encoder, decoder);
        return this;
    }
}
