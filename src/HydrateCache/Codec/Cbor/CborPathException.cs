using System.Text;

namespace HydrateCache.Codec.Cbor;

/// <summary>
/// Carries the original failure of a read or write up through the nested converters, each of which adds the member
/// name or element index it was working on. The codec turns it into a <see cref="HydrateCodecException"/> whose inner
/// exception is <see cref="Cause"/>. Only allocated on the failure path.
/// </summary>
internal sealed class CborPathException : Exception
{
    private const int MaxSegments = 24;

    private readonly List<string> _segments = [];
    private bool _truncated;

    private CborPathException(Exception cause)
        : base(cause.Message, cause)
    {
        Cause = cause;
    }

    /// <summary>Gets the exception that started the failure.</summary>
    public Exception Cause { get; }

    /// <summary>Adds a member segment (".Name") to the path of <paramref name="exception"/>.</summary>
    public static CborPathException WithMember(Exception exception, string? memberName)
    {
        var path = exception as CborPathException ?? new CborPathException(exception);
        if (memberName is not null)
        {
            path.Add("." + memberName);
        }

        return path;
    }

    /// <summary>Adds an element segment ("[3]" for arrays, "{3}" for the third dictionary entry).</summary>
    public static CborPathException WithIndex(Exception exception, int index, bool dictionary)
    {
        var path = exception as CborPathException ?? new CborPathException(exception);
        path.Add(dictionary ? "{" + index + "}" : "[" + index + "]");
        return path;
    }

    /// <summary>Builds "Root.Member[2].Inner" from the collected segments.</summary>
    public string BuildPath(string root)
    {
        var builder = new StringBuilder(root);
        if (_truncated)
        {
            builder.Append("...");
        }

        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            builder.Append(_segments[i]);
        }

        return builder.ToString();
    }

    private void Add(string segment)
    {
        if (_segments.Count < MaxSegments)
        {
            _segments.Add(segment);
        }
        else
        {
            // Keep the innermost segments (collected first): they say where the data went wrong.
            _truncated = true;
        }
    }
}
