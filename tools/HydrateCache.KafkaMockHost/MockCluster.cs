using System.Globalization;
using System.Runtime.InteropServices;

namespace HydrateCache.KafkaMockHost;

/// <summary>An in-process librdkafka mock cluster: real Kafka-protocol brokers listening on 127.0.0.1.</summary>
/// <remarks>
/// The mock auto-creates a topic (4 partitions) on the first produce or metadata request that allows auto-creation;
/// it does not implement the CreateTopics admin API. Its brokers listen on ephemeral ports chosen at creation.
/// Nothing is persisted: a new cluster starts empty.
/// </remarks>
internal sealed class MockCluster : IDisposable
{
    private const int ErrorBufferSize = 512;
    private IntPtr _rk;
    private IntPtr _cluster;

    private MockCluster(IntPtr rk, IntPtr cluster, IReadOnlyList<(int Id, int Port)> brokers)
    {
        _rk = rk;
        _cluster = cluster;
        Brokers = brokers;
    }

    /// <summary>Gets the brokers: id and the port each one listens on.</summary>
    public IReadOnlyList<(int Id, int Port)> Brokers { get; }

    /// <summary>Creates a cluster of <paramref name="brokerCount"/> brokers.</summary>
    /// <param name="brokerCount">How many brokers (ids 1..N).</param>
    /// <returns>The running cluster.</returns>
    public static MockCluster Start(int brokerCount)
    {
        var errstr = Marshal.AllocHGlobal(ErrorBufferSize);
        try
        {
            var conf = LibRdKafka.ConfNew();
            // The handle only owns the mock cluster; it never talks to a broker itself. Keep its log quiet.
            Set(conf, "log.connection.close", "false", errstr);
            Set(conf, "log_level", "4", errstr);
            var rk = LibRdKafka.New(LibRdKafka.ProducerType, conf, errstr, ErrorBufferSize);
            if (rk == IntPtr.Zero)
            {
                LibRdKafka.ConfDestroy(conf);
                throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8(errstr));
            }

            var cluster = LibRdKafka.MockClusterNew(rk, brokerCount);
            if (cluster == IntPtr.Zero)
            {
                LibRdKafka.Destroy(rk);
                throw new InvalidOperationException("rd_kafka_mock_cluster_new failed (see librdkafka's log on stderr).");
            }

            // Consumer groups rebalance at once instead of waiting 3 s for more members (test latency).
            LibRdKafka.MockGroupInitialRebalanceDelayMs(cluster, 0);

            var bootstraps = Marshal.PtrToStringUTF8(LibRdKafka.MockClusterBootstraps(cluster)) ?? string.Empty;
            return new MockCluster(rk, cluster, ParseBrokers(bootstraps, brokerCount));
        }
        finally
        {
            Marshal.FreeHGlobal(errstr);
        }
    }

    /// <summary>Makes broker <paramref name="brokerId"/> advertise <paramref name="host"/>:<paramref name="port"/> in metadata.</summary>
    /// <param name="brokerId">The broker id.</param>
    /// <param name="host">The advertised host.</param>
    /// <param name="port">The advertised port.</param>
    public void Advertise(int brokerId, string host, int port) => LibRdKafka.MockBrokerSetHostPort(_cluster, brokerId, host, port);

    /// <summary>Takes every broker down (connections closed, listener stopped, port kept) or brings it back up.</summary>
    /// <param name="up"><see langword="true"/> to bring the brokers up.</param>
    public void SetBrokersUp(bool up)
    {
        foreach (var (id, _) in Brokers)
        {
            var err = up ? LibRdKafka.MockBrokerSetUp(_cluster, id) : LibRdKafka.MockBrokerSetDown(_cluster, id);
            if (err != 0)
            {
                throw new InvalidOperationException($"Setting mock broker {id} {(up ? "up" : "down")} failed: {LibRdKafka.Describe(err)}");
            }
        }
    }

    /// <summary>Destroys the cluster (closing every client connection) and its handle.</summary>
    public void Dispose()
    {
        if (_cluster != IntPtr.Zero)
        {
            LibRdKafka.MockClusterDestroy(_cluster);
            _cluster = IntPtr.Zero;
        }

        if (_rk != IntPtr.Zero)
        {
            LibRdKafka.Destroy(_rk);
            _rk = IntPtr.Zero;
        }
    }

    private static void Set(IntPtr conf, string name, string value, IntPtr errstr)
    {
        if (LibRdKafka.ConfSet(conf, name, value, errstr, ErrorBufferSize) != LibRdKafka.ConfOk)
        {
            throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {Marshal.PtrToStringUTF8(errstr)}");
        }
    }

    /// <summary>Parses "127.0.0.1:p1,127.0.0.1:p2,...": brokers are listed in id order, ids 1..N.</summary>
    private static List<(int Id, int Port)> ParseBrokers(string bootstraps, int brokerCount)
    {
        var parts = bootstraps.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != brokerCount)
        {
            throw new InvalidOperationException($"Unexpected mock cluster bootstraps '{bootstraps}' for {brokerCount} broker(s).");
        }

        var brokers = new List<(int Id, int Port)>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            var colon = parts[i].LastIndexOf(':');
            brokers.Add((i + 1, int.Parse(parts[i].AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture)));
        }

        return brokers;
    }
}
