using System.Runtime.InteropServices;

namespace HydrateCache.KafkaMockHost;

/// <summary>The one libc call the host needs.</summary>
internal static partial class LibC
{
    /// <summary>SIGHUP on Linux.</summary>
    public const int SigHup = 1;

    private static readonly IntPtr SigDfl = IntPtr.Zero;

    /// <summary>Sets the disposition of <paramref name="signal"/> back to the default (undoes an inherited SIG_IGN).</summary>
    /// <param name="signal">The signal number.</param>
    public static void RestoreDefaultDisposition(int signal) => _ = Signal(signal, SigDfl);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial IntPtr Signal(int signum, IntPtr handler);
}
