using System.Diagnostics.Metrics;
using HydrateCache.Orleans.Convergence;
using HydrateCache.Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace HydrateCache.Orleans.Runtime;

/// <summary>The untyped face of a channel runtime, for the parts of the Orleans plumbing that only see names and bytes.</summary>
internal interface IHydrateChannelRuntime
{
    string Channel { get; }

    string Transport { get; }

    string Topic { get; }

    /// <summary>Applies received frames to the silo-local cache, in order, through the channel's receive pipeline.</summary>
    void Apply(HydrateFrames frames);

    /// <summary>Tells the channel's loss recovery that a frame arrived, before it waits in the silo's queue to be applied.</summary>
    void OnArrived(TransportMessage message);

    /// <summary>
    /// Decodes a frame for grains that subscribe to the channel's streams, without counting it (the worker grain's
    /// receive pipeline accounts for every frame).
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="key">The cache key (the stream key).</param>
    /// <param name="update">The <see cref="HydrateUpdate{T}"/>.</param>
    /// <param name="value">The value of an upsert, or <see langword="null"/>.</param>
    /// <returns><see langword="false"/> when the frame is not a valid update of this channel.</returns>
    bool TryDecodeForStreams(ReadOnlyMemory<byte> frame, out string key, out object update, out object? value);

    /// <summary>Gets the silo cache's digest.</summary>
    ulong[] GetDigest(int bucketCount);

    /// <summary>Gets a page of the silo cache's entries as frames.</summary>
    HydratePage GetPage(int[]? buckets, int bucketCount, string? afterKey, int maxCount);

    /// <summary>Applies frames copied from a peer's cache by version; returns how many changed this silo's cache.</summary>
    int ApplyRepair(byte[][] frames);

    /// <summary>Gets a value indicating whether the silo's cache is warm.</summary>
    bool IsWarm { get; }

    /// <summary>Marks the silo's cache warm.</summary>
    void MarkWarm();

    /// <summary>
    /// Raised when the channel may have missed updates for good: the transport reported lost messages, or loss recovery
    /// could not get them retransmitted (<see cref="HydrateChannel{T}.LossDetected"/>).
    /// </summary>
    event Action<string, HydrateLossReason>? LossDetected;

    /// <summary>Gets a value indicating whether the channel has an <see cref="IHydrationSource{T}"/>.</summary>
    bool HasSource { get; }

    /// <summary>Gets the health facts of the silo's cache of the channel; <see langword="null"/> on a cluster client (no cache).</summary>
    HydrateChannelHealth? Health { get; }

    /// <summary>Loads the silo cache from the channel's source; returns how many entries changed it.</summary>
    Task<int> LoadFromSourceAsync(CancellationToken cancellationToken);

    /// <summary>Starts the channel's loss recovery: on a silo as a receiver (it asks for what it misses), on a client as a publisher only.</summary>
    void StartRecovery();

    /// <summary>Stops the channel's loss recovery.</summary>
    ValueTask StopRecoveryAsync();

    /// <summary>Publishes events sent through the Orleans stream API.</summary>
    Task PublishStreamEventsAsync<TEvent>(string key, IEnumerable<TEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// One channel on one silo or client: the typed channel (publisher side) and, on a silo, the silo-local cache it hydrates.
/// </summary>
internal sealed class HydrateChannelRuntime<T> : IHydrateChannelRuntime, IDisposable, IAsyncDisposable
{
    public HydrateChannelRuntime(IServiceProvider services, string channel, bool hostsCache)
    {
        var registration = services.GetRequiredService<HydrateRegistrations>().Channels[channel];
        var options = services.GetRequiredService<IOptions<HydrateCacheOptions>>().Value;
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var timeProvider = HydrateCacheServiceKeys.GetTimeProvider(services);

        Channel = channel;
        Transport = registration.Transport;
        if (hostsCache)
        {
            Cache = new LocalHydratedCache<T>(new LocalHydratedCacheOptions
            {
                Name = channel,
                StartsWarm = false,
                TombstoneRetention = options.TombstoneRetention,
                SweepInterval = options.SweepInterval,
                TimeProvider = timeProvider,
                LoggerFactory = loggerFactory,
            });
        }

        var channelOptions = new HydrateChannelOptions<T>
        {
            TopicPrefix = options.TopicPrefix,
            MaxMessageBytes = options.MaxMessageBytes,
            MaxClockSkew = options.MaxClockSkew,
            LocalCache = Cache,
            TimeProvider = timeProvider,
            LoggerFactory = loggerFactory,

            // The silo's (or client's) meter factory: silos in one process never share instruments.
            MeterFactory = services.GetService<IMeterFactory>(),
        };
        foreach (var configure in services.GetKeyedServices<ChannelConfigurator<T>>(channel))
        {
            configure.Configure(services, channelOptions);
        }

        // The silo owns the cache: a user configurator cannot swap it out from under the worker grain.
        channelOptions.LocalCache = Cache;

        // Keys from DI, unless the channel's own configuration set some: keyed by the channel name, else for every channel.
        var security = channelOptions.Security;
        if (security.KeyProvider is null && security.SigningKeys.Count == 0 && security.EncryptionKeys.Count == 0)
        {
            security.KeyProvider = services.GetKeyedService<IHydrateKeyProvider>(channel) ?? services.GetService<IHydrateKeyProvider>();
        }

        var transport = services.GetRequiredKeyedService<TransportHandle>(registration.Transport).Transport;
        TypedChannel = new HydrateChannel<T>(transport, channel, channelOptions);
        HasSource = channelOptions.Source is not null;
        TypedChannel.LossDetected += (_, e) => LossDetected?.Invoke(Channel, e.Reason);
    }

    public string Channel { get; }

    public string Transport { get; }

    public string Topic => TypedChannel.Topic;

    public HydrateChannel<T> TypedChannel { get; }

    /// <summary>Gets the silo-local cache; <see langword="null"/> on a cluster client.</summary>
    public LocalHydratedCache<T>? Cache { get; }

    public event Action<string, HydrateLossReason>? LossDetected;

    public bool HasSource { get; }

    public HydrateChannelHealth? Health => Cache is null ? null : TypedChannel.Health;

    public Task<int> LoadFromSourceAsync(CancellationToken cancellationToken) => TypedChannel.LoadFromSourceAsync(RequireCache(), cancellationToken);

    public bool IsWarm => Cache?.IsWarm ?? true;

    public void MarkWarm() => Cache?.MarkWarm();

    public ulong[] GetDigest(int bucketCount) => RequireCache().GetDigest(bucketCount);

    public HydratePage GetPage(int[]? buckets, int bucketCount, string? afterKey, int maxCount)
    {
        var entries = RequireCache().GetEntries(buckets is null ? null : buckets.ToHashSet(), bucketCount, afterKey, maxCount);
        var frames = new byte[entries.Count][];
        for (var i = 0; i < entries.Count; i++)
        {
            frames[i] = TypedChannel.Encode(entries[i]);
        }

        return new HydratePage(frames, entries.Count == maxCount ? entries[^1].Key : null);
    }

    public int ApplyRepair(byte[][] frames)
    {
        var cache = RequireCache();
        var changed = 0;
        foreach (var frame in frames)
        {
            if (TypedChannel.ApplyRepair(frame, cache) is HydrateApplyResult.Applied or HydrateApplyResult.Removed or HydrateApplyResult.Expired or HydrateApplyResult.Invalidated)
            {
                changed++;
            }
        }

        return changed;
    }

    private LocalHydratedCache<T> RequireCache() =>
        Cache ?? throw new InvalidOperationException($"Channel '{Channel}' has no local cache on a cluster client.");

    public void Apply(HydrateFrames frames)
    {
        var cache = RequireCache();
        for (var i = 0; i < frames.Bodies.Length; i++)
        {
            var body = frames.Bodies[i];
            TypedChannel.Apply(new TransportMessage(Topic, body) { LostBefore = frames.LostBefore[i], IsLossNotice = body is null }, cache);
        }
    }

    public void OnArrived(TransportMessage message) => TypedChannel.OnArrived(message);

    public void StartRecovery() => _ = TypedChannel.StartRecoveryAsync(receiving: Cache is not null);

    public ValueTask StopRecoveryAsync() => TypedChannel.DisposeAsync();

    public bool TryDecodeForStreams(ReadOnlyMemory<byte> frame, out string key, out object update, out object? value)
    {
        if (!TypedChannel.TryDecode(frame, out var message))
        {
            key = string.Empty;
            update = string.Empty;
            value = null;
            return false;
        }

        key = message.Key;
        update = HydrateUpdate<T>.Received(message);
        value = message.Kind == MessageKind.Upsert ? message.Payload : null;
        return true;
    }

    public async Task PublishStreamEventsAsync<TEvent>(string key, IEnumerable<TEvent> events, CancellationToken cancellationToken)
    {
        foreach (var item in events)
        {
            var message = item switch
            {
                T value => TypedChannel.CreateUpsert(key, value),
                HydrateUpdate<T> { Kind: MessageKind.Delete } => TypedChannel.CreateDelete(key),
                HydrateUpdate<T> update => TypedChannel.CreateUpsert(key, update.Value!, update.Ttl),
                _ => throw new ArgumentException(
                    $"HydrateCache channel '{Channel}' carries {typeof(T).FullName}; a stream event of type {item?.GetType().FullName ?? "null"} cannot be published to it. Send a {typeof(T).Name} or a HydrateUpdate<{typeof(T).Name}>.",
                    nameof(events)),
            };
            // Called by a producing grain through the stream API: stay on the Orleans scheduler.
#pragma warning disable CA2007
            await TypedChannel.SendAsync(message, cancellationToken);
#pragma warning restore CA2007
        }
    }

    public void Dispose()
    {
        Cache?.Dispose();
        _ = TypedChannel.DisposeAsync().AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        Cache?.Dispose();
        await TypedChannel.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A user's configuration of one channel's options.</summary>
internal sealed class ChannelConfigurator<T>(Action<IServiceProvider, HydrateChannelOptions<T>> configure)
{
    public void Configure(IServiceProvider services, HydrateChannelOptions<T> options) => configure(services, options);
}

/// <summary>Service keys HydrateCache uses for keyed registrations that are not channel or transport names.</summary>
internal static class HydrateCacheServiceKeys
{
    public const string TimeProvider = "HydrateCache.TimeProvider";

    /// <summary>The clock HydrateCache uses on this silo or client: <c>UseTimeProvider</c>'s, else the host's, else the system's.</summary>
    public static TimeProvider GetTimeProvider(IServiceProvider services) =>
        services.GetKeyedService<TimeProvider>(TimeProvider) ?? services.GetService<TimeProvider>() ?? System.TimeProvider.System;
}
