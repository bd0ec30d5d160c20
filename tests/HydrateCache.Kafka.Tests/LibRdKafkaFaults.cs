using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace HydrateCache.Kafka.Tests;

/// <summary>
/// Raises a real librdkafka fatal error on a client (<c>rd_kafka_test_fatal_error</c>, librdkafka's own API for
/// testing fatal-error handling): the client then fails every call with a fatal error, as after a real one.
/// </summary>
internal static partial class LibRdKafkaFaults
{
    private const string Library = "librdkafka";

    static LibRdKafkaFaults()
    {
        // Confluent.Kafka picks its native file itself (centos8-librdkafka.so on Debian 12); bind to the one it loaded.
        _ = Confluent.Kafka.Library.VersionString;
        var path = File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? line[slash..].Trim() : string.Empty)
            .First(file => Path.GetFileName(file).Contains("librdkafka", StringComparison.Ordinal) && file.Contains(".so", StringComparison.Ordinal));
        NativeLibrary.SetDllImportResolver(typeof(LibRdKafkaFaults).Assembly, (name, _, _) =>
            string.Equals(name, Library, StringComparison.Ordinal) ? NativeLibrary.Load(path) : IntPtr.Zero);
    }

    /// <summary>Triggers a fatal error (<c>_FENCED</c>-like: <paramref name="code"/>) on <paramref name="client"/>.</summary>
    public static void TriggerFatalError(IClient client, ErrorCode code = ErrorCode.Local_Fatal)
    {
        var handle = client.Handle;
        var safeHandle = (SafeHandle)typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(handle)!;
        var error = TestFatalError(safeHandle.DangerousGetHandle(), (int)code, "HydrateCache test: fatal error injected");
        Assert.Equal(0, error);
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_test_fatal_error", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int TestFatalError(IntPtr rk, int err, string reason);
}
