using System.Buffers.Binary;
using System.Diagnostics;
using HydrateCache.Samples;
using NATS.Client.Core;
using Npgsql;
using StackExchange.Redis;

namespace HydrateCache.Propagation.Harness;

/// <summary>
/// The baseline: the transport's client library used directly, as an application without HydrateCache would (one
/// connection per receiver and one for the publisher, the same server, rate and receiver count as ours). Each message
/// is as large as our frame of the same update (<see cref="OursFanOut.FrameSize"/>): sequence and timestamp, then padding.
/// Redis: SUBSCRIBE with an ordered <see cref="ChannelMessageQueue"/>, PUBLISH awaited. NATS: core subscription read
/// by one loop per receiver, PUBLISH awaited. PostgreSQL: a dedicated LISTEN connection per receiver woken by
/// <c>WaitAsync</c>, <c>SELECT pg_notify</c> from a pooled <see cref="NpgsqlDataSource"/> with the payload in base64 (NOTIFY carries text).
/// </summary>
internal sealed class RawFanOut : FanOut
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly int _receivers;
    private readonly int _frameSize = OursFanOut.FrameSize();
    private Func<ReadOnlyMemory<byte>, ValueTask> _publish = _ => ValueTask.CompletedTask;

    private RawFanOut(int receivers) => _receivers = receivers;

    public override int Receivers => _receivers;

    public static async Task<FanOut> CreateAsync(string transport, int receivers)
    {
        var endpoint = TransportChoice.Create(transport).Endpoint
            ?? throw new ArgumentException($"No raw client baseline for '{transport}'.");
        var fanOut = new RawFanOut(receivers);
        try
        {
            var channel = $"raw-{Guid.NewGuid():N}";
            switch (transport)
            {
                case "redis":
                    await fanOut.StartRedisAsync(endpoint, channel);
                    break;
                case "nats":
                    await fanOut.StartNatsAsync(endpoint, channel);
                    break;
                case "postgres":
                    await fanOut.StartPostgresAsync(endpoint, channel);
                    break;
                default:
                    throw new ArgumentException($"No raw client baseline for '{transport}'.");
            }

            return fanOut;
        }
        catch
        {
            await fanOut.DisposeAsync();
            throw;
        }
    }

    public override ValueTask PublishAsync(int sequence)
    {
        var message = new byte[_frameSize];
        BinaryPrimitives.WriteInt32LittleEndian(message, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(message.AsSpan(4), Stopwatch.GetTimestamp());
        return _publish(message);
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var resource in Enumerable.Reverse(_owned))
        {
            await resource.DisposeAsync();
        }

        _stop.Dispose();
    }

    private void OnMessage(int receiver, ReadOnlySpan<byte> message)
    {
        if (message.Length >= 12)
        {
            Arrived(receiver, BinaryPrimitives.ReadInt32LittleEndian(message), BinaryPrimitives.ReadInt64LittleEndian(message[4..]));
        }
    }

    private async Task StartRedisAsync(string endpoint, string channelName)
    {
        var channel = RedisChannel.Literal(channelName);
        for (var i = 0; i < _receivers; i++)
        {
            var receiver = i;
            var connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
            _owned.Add(connection);
            var queue = await connection.GetSubscriber().SubscribeAsync(channel);
            queue.OnMessage(message => OnMessage(receiver, ((ReadOnlyMemory<byte>)message.Message).Span));
        }

        var publisher = await ConnectionMultiplexer.ConnectAsync(endpoint);
        _owned.Add(publisher);
        var subscriber = publisher.GetSubscriber();
        _publish = async message => await subscriber.PublishAsync(channel, message);
    }

    private async Task StartNatsAsync(string endpoint, string subject)
    {
        for (var i = 0; i < _receivers; i++)
        {
            var receiver = i;
            var connection = new NatsConnection(new NatsOpts { Url = endpoint, Name = "raw-baseline" });
            _owned.Add(connection);
            await connection.ConnectAsync();
            var subscription = await connection.SubscribeCoreAsync<byte[]>(subject, cancellationToken: _stop.Token);
            _owned.Add(subscription);
            _loops.Add(Task.Run(async () =>
            {
                await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token))
                {
                    OnMessage(receiver, message.Data);
                }
            }));
        }

        var publisher = new NatsConnection(new NatsOpts { Url = endpoint, Name = "raw-baseline" });
        _owned.Add(publisher);
        await publisher.ConnectAsync();
        _publish = message => publisher.PublishAsync(subject, message.ToArray());
    }

    private async Task StartPostgresAsync(string endpoint, string channel)
    {
        for (var i = 0; i < _receivers; i++)
        {
            var receiver = i;
            var connection = new NpgsqlConnection(endpoint);
            _owned.Add(connection);
            await connection.OpenAsync();
            connection.Notification += (_, e) => OnMessage(receiver, Convert.FromBase64String(e.Payload));
            await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", connection))
            {
                await listen.ExecuteNonQueryAsync();
            }

            _loops.Add(Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(_stop.Token);
                }
            }));
        }

        // A pooled data source, as an application publishes: concurrent publishes (the throughput mode's window) take
        // connections of their own; one at a time they reuse one.
        var publisher = NpgsqlDataSource.Create(endpoint);
        _owned.Add(publisher);
        _publish = async message =>
        {
            await using var notify = publisher.CreateCommand("SELECT pg_notify($1, $2)");
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = channel });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Convert.ToBase64String(message.Span) });
            await notify.ExecuteNonQueryAsync();
        };
    }
}
