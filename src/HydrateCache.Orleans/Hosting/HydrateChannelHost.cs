using System.Threading.Channels;
using HydrateCache;
using HydrateCache.Orleans;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Orleans.Hosting;

/// <summary>
/// Hydrates one channel's cache on one silo. It subscribes to the transport early in silo start-up
/// (<see cref="ServiceLifecycleStage.RuntimeInitialize"/>), buffers what arrives, and from
/// <see cref="ServiceLifecycleStage.Active"/> on hands batches, in order, to the silo's <c>[StatelessWorker(1)]</c>
/// worker grain of the channel. Pushed, not polled: an update is applied as soon as the transport delivers it.
/// </summary>
internal sealed class HydrateChannelHost : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IHydrateChannelRuntime _runtime;
    private readonly ITransport _transport;
    private readonly IGrainFactory _grainFactory;
    private readonly ILocalSiloDetails _silo;
    private readonly HydrateCacheOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _received;
    private readonly CancellationTokenSource _stopping = new();
    private ITransportSubscription? _subscription;
    private Task _pump = Task.CompletedTask;

    public HydrateChannelHost(
        IHydrateChannelRuntime runtime,
        ITransport transport,
        IGrainFactory grainFactory,
        ILocalSiloDetails silo,
        IOptions<HydrateCacheOptions> options,
        ILogger<HydrateChannelHost> logger)
    {
        _runtime = runtime;
        _transport = transport;
        _grainFactory = grainFactory;
        _silo = silo;
        _options = options.Value;
        _logger = logger;
        _received = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(_options.ReceiveBufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        var name = $"HydrateCache.{_runtime.Channel}";
        lifecycle.Subscribe(name, ServiceLifecycleStage.RuntimeInitialize, SubscribeAsync, UnsubscribeAsync);
        lifecycle.Subscribe(name, ServiceLifecycleStage.Active, StartApplyingAsync, StopApplyingAsync);
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        try
        {
            _subscription = await _transport.SubscribeAsync(_runtime.Topic, OnMessageAsync, cancellationToken);
        }
        catch (Exception ex)
        {
            _logger.HydrationStartFailed(ex, _runtime.Channel, _runtime.Transport);
            throw;
        }
    }

    private ValueTask OnMessageAsync(TransportMessage message, CancellationToken cancellationToken)
    {
        // The body is only valid during this call: keep a copy for the worker grain.
        var frame = message.Body.ToArray();
        return _received.Writer.TryWrite(frame) ? ValueTask.CompletedTask : WaitAndWriteAsync(frame, cancellationToken);
    }

    /// <summary>The buffer is full (the silo is still starting, or applying is slower than receiving): slow the transport down.</summary>
    private async ValueTask WaitAndWriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            await _received.Writer.WriteAsync(frame, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // The silo is stopping: nothing applies updates any more.
        }
    }

    private Task StartApplyingAsync(CancellationToken cancellationToken)
    {
        _pump = Task.Run(() => PumpAsync(_stopping.Token), CancellationToken.None);
        _logger.HydrationStarted(_runtime.Channel, _runtime.Transport, _silo.SiloAddress);
        return Task.CompletedTask;
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        var worker = _grainFactory.GetGrain<IHydrateWorkerGrain>(_runtime.Channel);
        var reader = _received.Reader;
        var batch = new List<byte[]>(_options.MaxBatchSize);
        try
        {
            // Activate the worker now, so the first update does not pay for activation.
            await ApplyAsync(worker, new HydrateFrameBatch(_silo.SiloAddress, []), cancellationToken);
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var frame))
                {
                    batch.Add(frame);
                }

                await ApplyAsync(worker, new HydrateFrameBatch(_silo.SiloAddress, [.. batch]), cancellationToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Applies one batch, retrying until it is applied or the silo stops: an update is never skipped.</summary>
    private async Task ApplyAsync(IHydrateWorkerGrain worker, HydrateFrameBatch batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await worker.ApplyAsync(batch);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.ApplyFailed(ex, _runtime.Channel, batch.Frames.Length, _options.ApplyRetryDelay);
                await Task.Delay(_options.ApplyRetryDelay, cancellationToken);
            }
        }
    }

    private async Task StopApplyingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _pump.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _logger.HydrationStopped(_runtime.Channel, _silo.SiloAddress);
    }

    private async Task UnsubscribeAsync(CancellationToken cancellationToken)
    {
        _received.Writer.TryComplete();
        if (_subscription is { } subscription)
        {
            await subscription.DisposeAsync();
        }

        _stopping.Dispose();
    }
}
