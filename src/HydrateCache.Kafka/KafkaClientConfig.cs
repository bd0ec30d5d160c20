using System.Globalization;
using Confluent.Kafka;

namespace HydrateCache.Kafka;

/// <summary>Builds the producer and consumer configurations: defaults, then the user's entries, then what the transport needs.</summary>
internal static class KafkaClientConfig
{
    /// <summary>Room for the key, headers and record overhead above <see cref="KafkaTransportOptions.MaxMessageBytes"/>.</summary>
    public const int RecordOverheadAllowance = 64 * 1024;

    private const string GroupIdKey = "group.id";

    public static ProducerConfig CreateProducerConfig(KafkaTransportOptions options)
    {
        var config = new ProducerConfig();
        SetCommonDefaults(config);
        config.Set("enable.idempotence", "true");
        config.Set("partitioner", "murmur2_random");
        config.Set("linger.ms", Milliseconds(options.ProducerLinger));
        config.Set("message.timeout.ms", Milliseconds(options.DeliveryTimeout));
        config.Set("message.max.bytes", ((long)options.MaxMessageBytes + RecordOverheadAllowance).ToString(CultureInfo.InvariantCulture));
        ApplyUserEntries(config, options);

        // Only the status (and error) of a delivery report is read.
        config.Set("dotnet.producer.delivery.report.fields", "status");
        config.Set("dotnet.producer.enable.delivery.reports", "true");
        return config;
    }

    public static ConsumerConfig CreateConsumerConfig(KafkaTransportOptions options)
    {
        var config = new ConsumerConfig();
        SetCommonDefaults(config);
        config.Set("fetch.wait.max.ms", Milliseconds(options.ConsumerFetchWaitMax));
        config.Set("auto.offset.reset", "latest");
        ApplyUserEntries(config, options);

        // Never part of a shared group: every subscription has its own (unused) group id and manual assignment.
        var prefix = options.ClientConfig.TryGetValue(GroupIdKey, out var userPrefix) && !string.IsNullOrWhiteSpace(userPrefix) ? userPrefix : "hydratecache";
        config.Set(GroupIdKey, $"{prefix}-{Guid.NewGuid():N}");
        config.Set("enable.auto.commit", "false");
        config.Set("enable.auto.offset.store", "false");
        config.Set("dotnet.consumer.consume.result.fields", "none");
        return config;
    }

    private static void SetCommonDefaults(ClientConfig config)
    {
        config.Set("client.id", "hydratecache");
        config.Set("socket.nagle.disable", "true");
        config.Set("log.connection.close", "false");
        config.Set("reconnect.backoff.max.ms", "2000");
    }

    private static void ApplyUserEntries(ClientConfig config, KafkaTransportOptions options)
    {
        foreach (var (key, value) in options.ClientConfig)
        {
            if (!string.Equals(key, GroupIdKey, StringComparison.Ordinal))
            {
                config.Set(key, value);
            }
        }

        config.Set("bootstrap.servers", options.BootstrapServers);
    }

    private static string Milliseconds(TimeSpan value) => ((long)Math.Ceiling(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
}
