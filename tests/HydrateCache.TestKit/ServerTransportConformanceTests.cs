using System.Collections.Concurrent;

namespace HydrateCache.TestKit;

/// <summary>
/// The conformance suite for transports backed by a real server: everything in <see cref="TransportConformanceTests"/>
/// plus surviving a server restart.
/// </summary>
public abstract class ServerTransportConformanceTests : TransportConformanceTests
{
    /// <summary>Gets the <c>eng/services.sh</c> service name of the server, for example "redis".</summary>
    protected abstract string ServiceName { get; }

    [Fact]
    public async Task ServerRestart_SubscriptionResumesAndDisconnectIsReported()
    {
        var topic = NewTopic("restart");
        var subscriber = await NewTransportAsync();
        var publisher = await NewTransportAsync();
        var events = new ConcurrentQueue<bool>();
        subscriber.ConnectionChanged += (_, e) => events.Enqueue(e.IsConnected);
        var received = new MessageCollector<string>();
        await subscriber.SubscribeAsync(topic, (m, _) =>
        {
            received.Add(System.Text.Encoding.UTF8.GetString(m.Body.Span));
            return ValueTask.CompletedTask;
        }, Token);
        await publisher.PublishAsync(topic, "before"u8.ToArray(), Token);
        await received.WaitForCountAsync(1);

        await TestServers.RestartAsync(ServiceName);

        // Publish until the subscriber is back: no user action may be needed to resume.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!received.Items.Contains("after"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the subscription did not resume within 60 s of the server restart");
            try
            {
                await publisher.PublishAsync(topic, "after"u8.ToArray(), Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The publisher may still be reconnecting itself.
            }

            await Task.Delay(200, Token);
        }

        await Eventually.TrueAsync(() => events.Contains(false) && events.Contains(true), "the transport reported the disconnect and the reconnect");
    }
}
