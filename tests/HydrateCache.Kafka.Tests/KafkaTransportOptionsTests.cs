using HydrateCache.TestKit;

namespace HydrateCache.Kafka.Tests;

[TestSuite("BVT")]
[TestProvider("None")]
[TestArea("Transport")]
public sealed class KafkaTransportOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedValues()
    {
        var options = new KafkaTransportOptions();
        Assert.Equal(1_000_000, options.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ConsumerFetchWaitMax);
        Assert.Equal(TimeSpan.FromMilliseconds(1), options.ProducerLinger);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DeliveryTimeout);
        Assert.Empty(options.ClientConfig);
        Assert.Null(options.TopicPrefix);
        Assert.Equal(TransportOverflowPolicy.Wait, options.SubscriptionBuffer.OverflowPolicy);
        Assert.Equal(65_536, options.SubscriptionBuffer.MaxMessages);
        Assert.Equal(64L * 1024 * 1024, options.SubscriptionBuffer.MaxBytes);
    }

    [Fact]
    public void Constructor_InvalidSubscriptionBuffer_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KafkaTransport(new KafkaTransportOptions { BootstrapServers = "localhost:1", SubscriptionBuffer = new() { MaxMessages = 0 } }));
        Assert.Throws<ArgumentNullException>(() => new KafkaTransport(new KafkaTransportOptions { BootstrapServers = "localhost:1", SubscriptionBuffer = null! }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Constructor_WithoutBootstrapServers_ThrowsArgumentException(string bootstrapServers)
    {
        var ex = Assert.Throws<ArgumentException>(() => new KafkaTransport(new KafkaTransportOptions { BootstrapServers = bootstrapServers }));
        Assert.Contains("BootstrapServers", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_NonPositiveMaxMessageBytes_ThrowsArgumentOutOfRange(int maxMessageBytes) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new KafkaTransport(new KafkaTransportOptions { BootstrapServers = "127.0.0.1:1", MaxMessageBytes = maxMessageBytes }));

    [Fact]
    public void Constructor_ClientConfigValueLibrdkafkaRejects_ThrowsArgumentException()
    {
        var options = new KafkaTransportOptions { BootstrapServers = "127.0.0.1:1" };
        options.ClientConfig["security.protocol"] = "not-a-protocol";
        Assert.ThrowsAny<ArgumentException>(() => new KafkaTransport(options));
    }

    [Fact]
    public void ClientConfig_TlsAndSaslEntries_ReachProducerAndConsumer()
    {
        var options = new KafkaTransportOptions { BootstrapServers = "broker:9093" };
        options.ClientConfig["security.protocol"] = "SASL_SSL";
        options.ClientConfig["sasl.mechanism"] = "SCRAM-SHA-512";
        options.ClientConfig["sasl.username"] = "user";
        options.ClientConfig["ssl.ca.location"] = "/etc/ssl/ca.pem";

        var producer = KafkaClientConfig.CreateProducerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        var consumer = KafkaClientConfig.CreateConsumerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        foreach (var config in new[] { producer, consumer })
        {
            Assert.Equal("SASL_SSL", config["security.protocol"]);
            Assert.Equal("SCRAM-SHA-512", config["sasl.mechanism"]);
            Assert.Equal("user", config["sasl.username"]);
            Assert.Equal("/etc/ssl/ca.pem", config["ssl.ca.location"]);
            Assert.Equal("broker:9093", config["bootstrap.servers"]);
        }
    }

    [Fact]
    public void ClientConfig_OverridesDefaultsButNotWhatTheTransportNeeds()
    {
        var options = new KafkaTransportOptions { BootstrapServers = "broker:9092" };
        options.ClientConfig["fetch.wait.max.ms"] = "500";
        options.ClientConfig["linger.ms"] = "20";
        options.ClientConfig["enable.auto.commit"] = "true";
        options.ClientConfig["bootstrap.servers"] = "elsewhere:9092";
        options.ClientConfig["group.id"] = "myapp";

        var producer = KafkaClientConfig.CreateProducerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        var first = KafkaClientConfig.CreateConsumerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        var second = KafkaClientConfig.CreateConsumerConfig(options).ToDictionary(e => e.Key, e => e.Value);

        Assert.Equal("20", producer["linger.ms"]);
        Assert.Equal("true", producer["enable.idempotence"]);
        Assert.Equal("broker:9092", producer["bootstrap.servers"]);
        Assert.Equal("500", first["fetch.wait.max.ms"]);
        Assert.Equal("false", first["enable.auto.commit"]);
        Assert.Equal("broker:9092", first["bootstrap.servers"]);
        Assert.StartsWith("myapp-", first["group.id"], StringComparison.Ordinal);
        Assert.NotEqual(first["group.id"], second["group.id"]);
    }

    [Fact]
    public void ClientConfig_Defaults_AreTunedForCacheTraffic()
    {
        var options = new KafkaTransportOptions { BootstrapServers = "broker:9092" };
        var producer = KafkaClientConfig.CreateProducerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        var consumer = KafkaClientConfig.CreateConsumerConfig(options).ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("100", consumer["fetch.wait.max.ms"]);
        Assert.Equal("latest", consumer["auto.offset.reset"]);
        Assert.Equal("1", producer["linger.ms"]);
        Assert.Equal("30000", producer["message.timeout.ms"]);
        Assert.Equal("murmur2_random", producer["partitioner"]);
        Assert.Equal("1065536", producer["message.max.bytes"]);
    }

    [Theory]
    [InlineData("prices")]
    [InlineData("hc-conf-order-0123456789abcdef")]
    [InlineData("app.cache_v2-prices")]
    public void TopicNames_LegalName_IsUsedAsIs(string name) => Assert.Equal(name, KafkaTopicNames.Map(name));

    [Theory]
    [InlineData("a-ключ")]
    [InlineData("with space")]
    [InlineData("a/b:c")]
    [InlineData(".")]
    [InlineData("..")]
    public void TopicNames_IllegalName_MapsToStableLegalName(string name)
    {
        var mapped = KafkaTopicNames.Map(name);
        Assert.True(KafkaTopicNames.IsLegal(mapped), mapped);
        Assert.Equal(mapped, KafkaTopicNames.Map(name));
        Assert.NotEqual(mapped, KafkaTopicNames.Map(name + "x"));
    }

    [Fact]
    public void TopicNames_TooLong_IsShortenedAndStaysDistinct()
    {
        var a = new string('a', 300);
        var b = new string('a', 299) + "b";
        Assert.True(KafkaTopicNames.Map(a).Length <= KafkaTopicNames.MaxLength);
        Assert.NotEqual(KafkaTopicNames.Map(a), KafkaTopicNames.Map(b));
    }
}
