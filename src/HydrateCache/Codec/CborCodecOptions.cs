using System.Formats.Cbor;

namespace HydrateCache;

/// <summary>
/// Options for <see cref="CborCodec{T}"/>. The codec copies the values when it is constructed; changing the options
/// afterwards has no effect on codecs that already exist.
/// </summary>
public sealed class CborCodecOptions
{
    /// <summary>The largest accepted value of <see cref="MaxDepth"/>.</summary>
    public const int MaxDepthLimit = 1000;

    /// <summary>
    /// Gets or sets the deepest nesting of CBOR arrays and maps that the codec writes or reads. Decoding a payload that
    /// nests deeper, or encoding an object graph that does (for example one with a cycle), throws <see cref="HydrateCodecException"/>.
    /// </summary>
    /// <value>Defaults to 64. Must be between 1 and <see cref="MaxDepthLimit"/>.</value>
    /// <remarks>
    /// Every object, collection and dictionary adds one level, as does a <see cref="decimal"/> (a two-element array).
    /// The limit bounds the recursion of the decoder, so a hostile payload cannot exhaust the stack.
    /// </remarks>
    public int MaxDepth { get; set; } = 64;

    /// <summary>
    /// Gets or sets the conformance mode that the decoder enforces on incoming payloads.
    /// </summary>
    /// <value>
    /// Defaults to <see cref="CborConformanceMode.Lax"/>, which accepts any well-formed CBOR, including indefinite-length
    /// items and non-shortest integer encodings, and replaces invalid UTF-8 in text strings with U+FFFD.
    /// <see cref="CborConformanceMode.Strict"/> additionally rejects duplicate map keys, invalid UTF-8 and non-shortest simple values.
    /// The canonical modes are rejected by the codec constructor: the codec writes text keys in declaration order, which they would reject.
    /// </value>
    /// <remarks>The encoder is not affected: it always writes definite lengths and the shortest integer and float forms.</remarks>
    public CborConformanceMode ConformanceMode { get; set; } = CborConformanceMode.Lax;
}
