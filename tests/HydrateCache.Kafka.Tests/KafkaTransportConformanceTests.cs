using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

[TestSuite("Functional")]
[TestProvider("Kafka")]
[TestArea("Transport")]
public sealed class KafkaTransportConformanceTests : ServerTransportConformanceTests
{
    protected override int MaxMessageBytes => new KafkaTransportOptions().MaxMessageBytes;

    protected override string ServiceName => "kafka";

    protected override ValueTask<ITransport> ConnectAsync() =>
        ValueTask.FromResult<ITransport>(new KafkaTransport(new KafkaTransportOptions { ConsumerFetchWaitMax = TimeSpan.FromMilliseconds(10), BootstrapServers = TestServers.RequireEndpoint(TestServers.Kafka) }));
}
