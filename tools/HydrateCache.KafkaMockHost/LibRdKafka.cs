using System.Runtime.InteropServices;

namespace HydrateCache.KafkaMockHost;

/// <summary>
/// The few librdkafka entry points the host needs (mock cluster API, <c>rdkafka_mock.h</c>), bound to the very
/// librdkafka file that Confluent.Kafka loaded into this process.
/// </summary>
/// <remarks>
/// Confluent.Kafka chooses between several builds shipped by <c>librdkafka.redist</c>; on Debian 12 the default
/// <c>librdkafka.so</c> needs <c>libsasl2.so.3</c> and Confluent silently falls back to <c>centos8-librdkafka.so</c>.
/// A plain <c>[DllImport("librdkafka")]</c> would not find either, so <see cref="Load"/> asks Confluent to load its
/// library, reads <c>/proc/self/maps</c> to learn which file was mapped, and resolves our imports to that file.
/// </remarks>
internal static partial class LibRdKafka
{
    private const string Library = "librdkafka";

    /// <summary><c>RD_KAFKA_PRODUCER</c> of <c>rd_kafka_type_t</c>.</summary>
    public const int ProducerType = 0;

    /// <summary><c>RD_KAFKA_CONF_OK</c> of <c>rd_kafka_conf_res_t</c>.</summary>
    public const int ConfOk = 0;

    /// <summary>Loads librdkafka through Confluent.Kafka and binds this class's imports to the mapped file.</summary>
    /// <returns>The path of the librdkafka file in use and its version string.</returns>
    public static (string Path, string Version) Load()
    {
        // Touching VersionString makes Confluent.Kafka load (and pick) its native library.
        var version = Confluent.Kafka.Library.VersionString;
        var path = FindMappedLibrary()
            ?? throw new InvalidOperationException("Confluent.Kafka loaded librdkafka, but no librdkafka file is mapped in /proc/self/maps.");
        NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, (name, _, _) =>
            string.Equals(name, Library, StringComparison.Ordinal) ? NativeLibrary.Load(path) : IntPtr.Zero);
        return (path, version);
    }

    private static string? FindMappedLibrary()
    {
        // Lines look like: "7f..-7f.. r-xp 00000000 08:01 1234  /path/runtimes/linux-x64/native/centos8-librdkafka.so".
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }

            var file = line[slash..].Trim();
            var name = Path.GetFileName(file);
            if (name.Contains("librdkafka", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal))
            {
                return file;
            }
        }

        return null;
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial IntPtr ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(IntPtr conf, string name, string value, IntPtr errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(IntPtr conf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static partial IntPtr New(int type, IntPtr conf, IntPtr errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(IntPtr rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_err2str")]
    public static partial IntPtr ErrorToString(int err);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial IntPtr MockClusterNew(IntPtr rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void MockClusterDestroy(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial IntPtr MockClusterBootstraps(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    public static partial void MockGroupInitialRebalanceDelayMs(IntPtr cluster, int delayMs);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    public static partial int MockBrokerSetDown(IntPtr cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    public static partial int MockBrokerSetUp(IntPtr cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_host_port", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void MockBrokerSetHostPort(IntPtr cluster, int brokerId, string host, int port);

    /// <summary>Gets librdkafka's description of an error code.</summary>
    /// <param name="err">An <c>rd_kafka_resp_err_t</c>.</param>
    /// <returns>The description.</returns>
    public static string Describe(int err) => Marshal.PtrToStringUTF8(ErrorToString(err)) ?? err.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
