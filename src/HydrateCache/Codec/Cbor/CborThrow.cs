using System.Diagnostics.CodeAnalysis;
using System.Formats.Cbor;

namespace HydrateCache.Codec.Cbor;

/// <summary>Throw helpers for the converters' hot paths; they keep the callers small enough to inline.</summary>
internal static class CborThrow
{
    [DoesNotReturn]
    public static void OutOfRange(Type type) =>
        throw new OverflowException($"The CBOR number is out of range for {CborTypeNames.Full(type)}.");

    [DoesNotReturn]
    public static void DepthExceeded(int maxDepth) =>
        throw new InvalidOperationException(
            $"The value nests deeper than CborCodecOptions.MaxDepth ({maxDepth}); the object graph may contain a cycle.");

    [DoesNotReturn]
    public static void UnexpectedItem(CborReaderState state, string expected) =>
        throw new CborContentException($"Expected {expected}, found a CBOR data item of kind '{state}'.");

    [DoesNotReturn]
    public static void UnexpectedTag(CborTag tag, string expected) =>
        throw new CborContentException($"Expected {expected}, found CBOR tag {(ulong)tag}.");

    [DoesNotReturn]
    public static void Invalid(string message) => throw new CborContentException(message);

    [DoesNotReturn]
    public static void UnpairedSurrogate() =>
        throw new ArgumentException(
            "The string contains an unpaired UTF-16 surrogate, which cannot be encoded as a CBOR (UTF-8) text string.", "value");
}
