using HydrateCache;
using HydrateCache.Orleans;
using HydrateCache.Orleans.Convergence;
using HydrateCache.Orleans.Runtime;
using HydrateCache.Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>
/// Configures HydrateCache on a silo or a cluster client: which transports exist (each becomes an Orleans stream
/// provider of the same name) and which typed channels run on them.
/// </summary>
/// <remarks>Obtain one from <c>AddHydrateCacheStreams</c> on <see cref="ISiloBuilder"/> or <see cref="IClientBuilder"/>.</remarks>
public sealed class HydrateCacheBuilder
{
    private readonly bool _isSilo;
    private readonly Action<string> _addStreamProvider;
    private readonly HydrateRegistrations _registrations;

    internal HydrateCacheBuilder(IServiceCollection services, bool isSilo, Action<string> addStreamProvider)
    {
        Services = services;
        _isSilo = isSilo;
        _addStreamProvider = addStreamProvider;
        _registrations = GetOrAddRegistrations(services);
    }

    /// <summary>Gets the services of the silo or client being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a transport that the silo creates and owns (disposes at shutdown), and an Orleans stream provider named
    /// <paramref name="name"/> that publishes through it.
    /// </summary>
    /// <param name="name">The transport and stream provider name.</param>
    /// <param name="factory">Creates the transport from the silo's or client's services.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder AddTransport(string name, Func<IServiceProvider, ITransport> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return AddTransportCore(name, (sp, _) => new TransportHandle(factory(sp), owned: true));
    }

    /// <summary>
    /// Adds a transport instance that is shared with others (for example one <see cref="InMemoryTransport"/> for several
    /// silos of one process) and is therefore never disposed by the silo, and an Orleans stream provider named
    /// <paramref name="name"/> that publishes through it.
    /// </summary>
    /// <param name="name">The transport and stream provider name.</param>
    /// <param name="transport">The shared transport; its owner disposes it.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder AddTransport(string name, ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return AddTransportCore(name, (_, _) => new TransportHandle(transport, owned: false));
    }

    /// <summary>
    /// Adds a channel of <typeparamref name="T"/> values on <paramref name="transport"/>. On a silo this registers the
    /// silo-local <see cref="ILocalHydratedCache{T}"/> and its hydration; on both silos and clients an
    /// <see cref="IHydratePublisher{T}"/>. Both are keyed by <paramref name="channel"/>, and also unkeyed for the
    /// first channel of each <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">The type of the cached values.</typeparam>
    /// <param name="channel">The channel name, unique on this silo or client; also the stream namespace.</param>
    /// <param name="transport">The name of a transport added with <c>AddTransport</c>.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder AddChannel<T>(string channel, string transport) => AddChannel<T>(channel, transport, null);

    /// <summary>Adds a channel of <typeparamref name="T"/> values on <paramref name="transport"/>, with channel options.</summary>
    /// <typeparam name="T">The type of the cached values.</typeparam>
    /// <param name="channel">The channel name, unique on this silo or client; also the stream namespace.</param>
    /// <param name="transport">The name of a transport added with <c>AddTransport</c>.</param>
    /// <param name="configure">Sets channel options such as the codec; the local cache, clock and loggers are set by the silo.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder AddChannel<T>(string channel, string transport, Action<IServiceProvider, HydrateChannelOptions<T>>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentException.ThrowIfNullOrWhiteSpace(transport);
        if (string.Equals(channel, HydrateStreamNamespaces.Worker, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{channel}' is the stream namespace of HydrateCache's worker streams and cannot name a channel.", nameof(channel));
        }

        if (!_registrations.Channels.TryAdd(channel, new ChannelRegistration(channel, transport, typeof(T))))
        {
            throw new ArgumentException($"A HydrateCache channel named '{channel}' is already configured.", nameof(channel));
        }

        var services = Services;
        var isSilo = _isSilo;
        services.AddKeyedSingleton(channel, (sp, _) => new HydrateChannelRuntime<T>(sp, channel, isSilo));
        services.AddKeyedSingleton<IHydrateChannelRuntime>(channel, (sp, key) => sp.GetRequiredKeyedService<HydrateChannelRuntime<T>>(key));
        services.AddKeyedSingleton<IHydratePublisher<T>>(channel, (sp, key) => new HydratePublisher<T>(sp.GetRequiredKeyedService<HydrateChannelRuntime<T>>(key)));
        if (configure is not null)
        {
            services.AddKeyedSingleton(channel, new ChannelConfigurator<T>(configure));
        }

        if (isSilo)
        {
            services.AddKeyedSingleton<ILocalHydratedCache<T>>(channel, (sp, key) => sp.GetRequiredKeyedService<HydrateChannelRuntime<T>>(key).Cache!);
            services.AddKeyedSingleton(channel, (sp, key) => sp.GetRequiredKeyedService<HydrateChannelRuntime<T>>(key).Cache!);
        }

        if (_registrations.UnkeyedTypes.Add(typeof(T)))
        {
            services.AddSingleton(sp => sp.GetRequiredKeyedService<IHydratePublisher<T>>(channel));
            if (isSilo)
            {
                services.AddSingleton(sp => sp.GetRequiredKeyedService<ILocalHydratedCache<T>>(channel));
                services.AddSingleton(sp => sp.GetRequiredKeyedService<LocalHydratedCache<T>>(channel));
            }
        }

        return this;
    }

    /// <summary>Configures <see cref="HydrateCacheOptions"/>.</summary>
    /// <param name="configure">The configuration delegate.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder Configure(Action<HydrateCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Binds <see cref="HydrateCacheOptions"/> to a configuration section, such as <c>appsettings.json</c>'s "HydrateCache".</summary>
    /// <param name="sectionPath">The section path.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder BindConfiguration(string sectionPath = HydrateCacheOptions.DefaultSectionName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        Services.AddOptions<HydrateCacheOptions>().BindConfiguration(sectionPath);
        return this;
    }

    /// <summary>Uses <paramref name="timeProvider"/> for message versions and TTL expiry instead of the silo's clock (for tests).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder, for chaining.</returns>
    public HydrateCacheBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        Services.AddKeyedSingleton(HydrateCacheServiceKeys.TimeProvider, timeProvider);
        return this;
    }

    private HydrateCacheBuilder AddTransportCore(string name, Func<IServiceProvider, object?, TransportHandle> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_registrations.Transports.Add(name))
        {
            throw new ArgumentException($"A HydrateCache transport named '{name}' is already configured.", nameof(name));
        }

        Services.AddKeyedSingleton(name, factory);
        if (_isSilo)
        {
            if (!Services.Any(d => d.ServiceType == typeof(HydrateSiloSynchronizer)))
            {
                Services.AddSingleton<HydrateSiloSynchronizer>();
                Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<HydrateSiloSynchronizer>());
            }

            Services.TryAddSingleton<HydrateGrainStreamDelivery>();
            Services.AddKeyedSingleton(name, (sp, _) => HydrateSiloSubscriptions.Create(sp, name));
            Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredKeyedService<HydrateSiloSubscriptions>(name));
        }

        _addStreamProvider(name);
        return this;
    }

    private static HydrateRegistrations GetOrAddRegistrations(IServiceCollection services)
    {
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(HydrateRegistrations) && !d.IsKeyedService)?.ImplementationInstance;
        if (existing is HydrateRegistrations registrations)
        {
            return registrations;
        }

        registrations = new HydrateRegistrations();
        services.AddSingleton(registrations);
        services.AddOptions<HydrateCacheOptions>();
        services.AddSingleton<IConfigurationValidator, HydrateCacheConfigurationValidator>();
        return registrations;
    }
}
