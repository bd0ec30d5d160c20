using System.Buffers;
using System.Formats.Cbor;
using System.Globalization;
using HydrateCache.Codec.Cbor;

namespace HydrateCache;

/// <summary>
/// The default payload codec: maps <typeparamref name="T"/> onto plain CBOR (RFC 8949) so that writers and readers in
/// other languages can exchange payloads with it. Objects become CBOR maps keyed by member name or by
/// <see cref="CborKeyAttribute"/> integer keys.
/// </summary>
/// <typeparam name="T">The type of the cached values.</typeparam>
/// <remarks>
/// <para>
/// The constructor inspects <typeparamref name="T"/> and every type reachable from it once, compiles readers and writers
/// for them, and throws <see cref="HydrateCodecException"/> (naming the member path, for example
/// <c>Order.Lines[].Meta</c>) if any of them is unsupported. Encoding and decoding then use no reflection. Build one codec
/// per type and share it: an instance is immutable and thread-safe.
/// </para>
/// <para><strong>Type mapping</strong> (what a writer in another language must produce):</para>
/// <list type="table">
/// <listheader><term>C# type</term><description>CBOR</description></listheader>
/// <item><term><see cref="bool"/></term><description>simple value <c>false</c>/<c>true</c> (<c>f4</c>/<c>f5</c>).</description></item>
/// <item><term><see cref="sbyte"/>, <see cref="byte"/>, <see cref="short"/>, <see cref="ushort"/>, <see cref="int"/>,
/// <see cref="uint"/>, <see cref="long"/>, <see cref="ulong"/></term><description>integer (major type 0 or 1), shortest
/// form. Decoding accepts any integer encoding and fails on values outside the target range.</description></item>
/// <item><term><see cref="Int128"/>, <see cref="UInt128"/></term><description>integer when within [-2^64, 2^64-1],
/// otherwise a tag 2/3 bignum.</description></item>
/// <item><term><see cref="Half"/>, <see cref="float"/>, <see cref="double"/></term><description>float (major type 7) in
/// the shortest of half, single and double precision that holds the value exactly (<c>1.5</c> is <c>f93e00</c>, NaN is
/// <c>f97e00</c>). Decoding accepts any float width and integers; a value too large for the target type fails.</description></item>
/// <item><term><see cref="decimal"/></term><description>tag 4 decimal fraction <c>[exponent, mantissa]</c> with
/// exponent = -scale, so the value and its scale round-trip exactly (<c>-1.5</c> is <c>c482202e</c>); the mantissa is a
/// plain integer, or a tag 2/3 bignum beyond 64 bits. Decoding also accepts integers and floats.</description></item>
/// <item><term><see cref="char"/></term><description>text string of exactly one UTF-16 code unit.</description></item>
/// <item><term><see cref="string"/></term><description>UTF-8 text string; a string with an unpaired surrogate cannot be
/// encoded.</description></item>
/// <item><term><c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> and <see cref="Memory{T}"/> of <see cref="byte"/></term>
/// <description>byte string.</description></item>
/// <item><term><see cref="Guid"/></term><description>tag 37 around a 16-byte byte string in RFC 9562 (big-endian) order;
/// the tag is optional when decoding.</description></item>
/// <item><term><see cref="DateTime"/></term><description>tag 0 RFC 3339 text in UTC, <c>yyyy-MM-ddTHH:mm:ss[.fffffff]Z</c>
/// with trailing fraction zeros removed (<c>2013-03-21T20:04:00Z</c>). <see cref="DateTimeKind.Local"/> values are
/// converted to UTC; <see cref="DateTimeKind.Unspecified"/> values are taken to be UTC. Decoded values always have
/// <see cref="DateTimeKind.Utc"/> and full 100 ns precision.</description></item>
/// <item><term><see cref="DateTimeOffset"/></term><description>tag 0 RFC 3339 text keeping the offset
/// (<c>2013-03-21T22:04:00+02:00</c>; <c>Z</c> for a zero offset).</description></item>
/// <item><term>(decoding either of the above)</term><description>tag 0 text or tag 1 epoch seconds (integer or float), or
/// the same without the tag; more than 7 fraction digits are truncated, epoch values decode with a zero offset.</description></item>
/// <item><term><see cref="DateOnly"/></term><description>tag 1004 (RFC 8943) around <c>yyyy-MM-dd</c> text; decoding also
/// accepts untagged text and tag 100 (days since 1970-01-01).</description></item>
/// <item><term><see cref="TimeOnly"/></term><description>integer count of 100 ns ticks since midnight.</description></item>
/// <item><term><see cref="TimeSpan"/></term><description>integer count of 100 ns ticks (<see cref="TimeSpan.Ticks"/>).</description></item>
/// <item><term>enums</term><description>the underlying integer; values without a named member are kept.</description></item>
/// <item><term><see cref="Nullable{T}"/></term><description>CBOR <c>null</c> (<c>f6</c>), or the value.</description></item>
/// <item><term><c>T[]</c>, <see cref="List{T}"/>, <see cref="IList{T}"/>, <see cref="ICollection{T}"/>,
/// <see cref="IEnumerable{T}"/>, <see cref="IReadOnlyList{T}"/>, <see cref="IReadOnlyCollection{T}"/></term>
/// <description>array. Interfaces decode to a <see cref="List{T}"/>.</description></item>
/// <item><term><see cref="HashSet{T}"/>, <see cref="ISet{T}"/>, <see cref="IReadOnlySet{T}"/></term><description>array;
/// decodes to a <see cref="HashSet{T}"/> with the default comparer.</description></item>
/// <item><term><see cref="Dictionary{TKey, TValue}"/>, <see cref="IDictionary{TKey, TValue}"/>,
/// <see cref="IReadOnlyDictionary{TKey, TValue}"/> with <see cref="string"/> keys</term><description>map with text keys
/// in enumeration order; decodes to a <see cref="Dictionary{TKey, TValue}"/> with the ordinal comparer. A repeated key
/// keeps its last value.</description></item>
/// <item><term>classes, records, structs</term><description>map, one entry per member (see below).</description></item>
/// <item><term><see langword="null"/> reference</term><description>CBOR <c>null</c>. Decoding accepts <c>null</c> for any
/// reference type regardless of nullable annotations.</description></item>
/// </list>
/// <para>
/// <strong>Members.</strong> Public instance properties with a public getter and a public <c>set</c> or <c>init</c>
/// accessor, and public non-readonly instance fields, are members. Get-only properties and readonly fields are members
/// only when a constructor parameter matches them; other get-only properties are treated as computed and skipped.
/// <see cref="CborIgnoreAttribute"/> excludes a member. A member is keyed by its exact C# name as a text string, or by the
/// integer of its <see cref="CborKeyAttribute"/>. Every member is always written (a <see langword="null"/> one as
/// <c>null</c>), integer keys first in ascending order, then text keys in declaration order (base class first), with
/// definite lengths and shortest integer encodings, so equal values encode to equal bytes.
/// </para>
/// <para>
/// <strong>Constructors.</strong> The codec calls the constructor marked <see cref="CborConstructorAttribute"/>, otherwise the
/// public constructor with the most parameters among those whose every parameter matches a member (same name ignoring
/// case, same type), so positional records work. Members that are not constructor parameters are assigned afterwards.
/// </para>
/// <para>
/// <strong>Decoding</strong> accepts definite and indefinite lengths and keys in any order. Unknown keys (and keys of other
/// CBOR types) are skipped, so a newer writer can add members. A missing member keeps its initializer or constructor default
/// (the parameter's declared default value if it has one). A repeated key keeps its last value under the default
/// <see cref="CborConformanceMode.Lax"/> mode. Malformed or truncated input, a data item of the wrong type, an out-of-range
/// number, trailing bytes after the top-level item, or nesting deeper than <see cref="CborCodecOptions.MaxDepth"/>
/// throws <see cref="HydrateCodecException"/> whose message names the member path and whose inner exception is the cause.
/// </para>
/// <para>Not supported: <see cref="object"/>/<c>dynamic</c>, other interfaces and abstract types (there is no polymorphism:
/// a derived instance is written as its declared type), non-string dictionary keys, multi-dimensional arrays, delegates,
/// pointers, and framework types not listed above.</para>
/// </remarks>
public sealed class CborCodec<T> : ICodec<T>
{
    private const int MaxPooledWriterBytes = 64 * 1024;

    private readonly CborConverter<T> _root;
    private readonly string _codecName;
    private readonly string _rootPath;
    private readonly CborReaderOptions _readerOptions;
    private readonly CborWriterOptions _writerOptions;
    private readonly SlotPool<CborWriter> _writers = new();
    private readonly SlotPool<CborReader> _readers = new();

    /// <summary>Initializes a new instance of the <see cref="CborCodec{T}"/> class with default <see cref="CborCodecOptions"/>.</summary>
    /// <exception cref="HydrateCodecException"><typeparamref name="T"/>, or a type reachable from it, is not supported.</exception>
    public CborCodec()
        : this(new CborCodecOptions())
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CborCodec{T}"/> class.</summary>
    /// <param name="options">The options; their values are copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="HydrateCodecException"><typeparamref name="T"/>, or a type reachable from it, is not supported.</exception>
    public CborCodec(CborCodecOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxDepth = options.MaxDepth;
        if (maxDepth < 1 || maxDepth > CborCodecOptions.MaxDepthLimit)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), maxDepth, $"CborCodecOptions.MaxDepth must be between 1 and {CborCodecOptions.MaxDepthLimit}.");
        }

        var mode = options.ConformanceMode;
        if (mode is not (CborConformanceMode.Lax or CborConformanceMode.Strict))
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), mode, "CborCodecOptions.ConformanceMode must be Lax or Strict.");
        }

        var factory = new CborConverterFactory(typeof(T), maxDepth);
        _codecName = factory.CodecName;
        _rootPath = factory.RootPath;
        _root = (CborConverter<T>)factory.GetConverter(typeof(T), factory.RootPath);
        _readerOptions = new CborReaderOptions { ConformanceMode = mode, MaxDepth = maxDepth };
        _writerOptions = new CborWriterOptions { ConformanceMode = CborConformanceMode.Lax, MaxDepth = maxDepth };
    }

    /// <summary>Gets the codec identifier written into every envelope.</summary>
    /// <value>Always <c>"cbor"</c>.</value>
    public string Id => "cbor";

    /// <summary>Writes <paramref name="value"/> as one CBOR data item to <paramref name="destination"/>.</summary>
    /// <param name="value">The value to encode.</param>
    /// <param name="destination">The buffer that receives the encoded bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is <see langword="null"/>.</exception>
    /// <exception cref="HydrateCodecException">The value cannot be encoded, for example because it nests deeper than
    /// <see cref="CborCodecOptions.MaxDepth"/> (a cycle) or a string holds an unpaired surrogate.</exception>
    public void Encode(T value, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var writer = _writers.TryTake(out var slot) ?? new CborWriter(_writerOptions);
        try
        {
            _root.Write(writer, value);
        }
        catch (Exception ex)
        {
            // The writer is in an unknown state: drop it rather than return it to the pool.
            throw EncodeFailed(ex);
        }

        var length = writer.BytesWritten;
        var written = writer.Encode(destination.GetSpan(length));
        destination.Advance(written);

        if (length <= MaxPooledWriterBytes)
        {
            writer.Reset();
            _writers.Return(slot, writer);
        }
    }

    /// <summary>Reads a value written by <see cref="Encode(T, IBufferWriter{byte})"/> or by a compatible CBOR writer.</summary>
    /// <param name="source">Exactly one CBOR data item.</param>
    /// <returns>The decoded value.</returns>
    /// <exception cref="HydrateCodecException">The bytes are not a valid encoding of <typeparamref name="T"/>.</exception>
    public T Decode(ReadOnlySpan<byte> source)
    {
        // CborReader reads from memory, not spans: copy into a pooled buffer. Decoded values never point into it.
        var buffer = ArrayPool<byte>.Shared.Rent(source.Length);
        try
        {
            source.CopyTo(buffer);
            var data = buffer.AsMemory(0, source.Length);
            var reader = _readers.TryTake(out var slot);
            if (reader is null)
            {
                reader = new CborReader(data, _readerOptions);
            }
            else
            {
                reader.Reset(data);
            }

            T value;
            try
            {
                value = _root.Read(reader);
            }
            catch (Exception ex)
            {
                // The reader is in an unknown state: drop it rather than return it to the pool.
                throw DecodeFailed(ex, source.Length - reader.BytesRemaining);
            }

            var remaining = reader.BytesRemaining;
            reader.Reset(ReadOnlyMemory<byte>.Empty);
            _readers.Return(slot, reader);
            if (remaining != 0)
            {
                throw new HydrateCodecException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{_codecName}: cannot decode the payload: {remaining} trailing byte(s) follow the top-level CBOR item at byte offset {source.Length - remaining}."));
            }

            return value;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private HydrateCodecException EncodeFailed(Exception exception)
    {
        var (path, cause) = Unwrap(exception);
        return new HydrateCodecException($"{_codecName}: cannot encode '{path}': {cause.Message}", cause);
    }

    private HydrateCodecException DecodeFailed(Exception exception, int offset)
    {
        var (path, cause) = Unwrap(exception);
        return new HydrateCodecException(
            string.Create(CultureInfo.InvariantCulture, $"{_codecName}: cannot decode '{path}' (near byte offset {offset}): {cause.Message}"),
            cause);
    }

    private (string Path, Exception Cause) Unwrap(Exception exception) =>
        exception is CborPathException path ? (path.BuildPath(_rootPath), path.Cause) : (_rootPath, exception);
}
