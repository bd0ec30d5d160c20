using System.Buffers;

namespace HydrateCache.Tests.Codec;

internal static class CborTestSupport
{
    public static byte[] EncodeBytes<T>(this CborCodec<T> codec, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static string EncodeHex<T>(this CborCodec<T> codec, T value) => Hex(codec.EncodeBytes(value));

    public static T DecodeHex<T>(this CborCodec<T> codec, string hex) => codec.Decode(Bytes(hex));

    public static T RoundTrip<T>(this CborCodec<T> codec, T value) => codec.Decode(codec.EncodeBytes(value));

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string TextHex(string text) => Hex(System.Text.Encoding.UTF8.GetBytes(text));
}
