using System.Security.Cryptography;
using System.Text;

namespace HydrateCache.Kafka;

/// <summary>
/// Maps HydrateCache topic names onto legal Kafka topic names: at most 249 characters of <c>[a-zA-Z0-9._-]</c>,
/// not "." or "..".
/// </summary>
/// <remarks>
/// A legal name maps to itself. Any other name maps to its legal characters (others replaced by '_', cut to 200
/// characters) followed by '-' and the first 16 hex digits of the SHA-256 of its UTF-8 bytes, so distinct names stay
/// distinct and the mapping is the same in every process.
/// </remarks>
internal static class KafkaTopicNames
{
    public const int MaxLength = 249;
    private const int KeptLength = 200;

    public static string Map(string name)
    {
        if (IsLegal(name))
        {
            return name;
        }

        var builder = new StringBuilder(KeptLength + 17);
        foreach (var c in name)
        {
            if (builder.Length == KeptLength)
            {
                break;
            }

            builder.Append(IsLegalChar(c) ? c : '_');
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        builder.Append('-').Append(Convert.ToHexStringLower(hash[..8]));
        return builder.ToString();
    }

    public static bool IsLegal(string name)
    {
        if (name.Length is 0 or > MaxLength || name is "." or "..")
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsLegalChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLegalChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
