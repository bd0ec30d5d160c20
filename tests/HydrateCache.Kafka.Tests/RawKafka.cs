using Confluent.Kafka;

namespace HydrateCache.Kafka.Tests;

/// <summary>Reads a topic with a plain Confluent.Kafka consumer, to check what the transport actually wrote.</summary>
internal static class RawKafka
{
    public static Task<List<ConsumeResult<byte[]?, byte[]>>> ReadFromBeginningAsync(string bootstrapServers, string kafkaTopic, int count) =>
        Task.Run(() =>
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
            var partitions = admin.GetMetadata(kafkaTopic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
            Assert.NotEmpty(partitions);

            var config = new ConsumerConfig
            {
                BootstrapServers = bootstrapServers,
                GroupId = $"hc-test-{Guid.NewGuid():N}",
                EnableAutoCommit = false,
                FetchWaitMaxMs = 10,
            };
            using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
            consumer.Assign(partitions.Select(p => new TopicPartitionOffset(kafkaTopic, p, Offset.Beginning)));
            var results = new List<ConsumeResult<byte[]?, byte[]>>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (results.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"Read {results.Count} of {count} messages from {kafkaTopic} within 15 s.");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    results.Add(result);
                }
            }

            consumer.Close();
            return results;
        });

    public static string? Header(this ConsumeResult<byte[]?, byte[]> result, string name) =>
        result.Message.Headers is { } headers && headers.TryGetLastBytes(name, out var value) ? System.Text.Encoding.UTF8.GetString(value) : null;
}
