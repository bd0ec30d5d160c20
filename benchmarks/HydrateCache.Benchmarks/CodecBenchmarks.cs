using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace HydrateCache.Benchmarks;

/// <summary>
/// The default <see cref="CborCodec{T}"/> against System.Text.Json on the same value, both ways. The baseline of each
/// category is System.Text.Json source-generated (<see cref="CodecJsonContext"/>, a reused <see cref="Utf8JsonWriter"/>):
/// the target (issue 9) is CBOR within 2× of it. The reflection-based System.Text.Json rows are for reference.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CodecBenchmarks
{
    private static readonly Quote Value = new(
        "MSFT",
        412.57m,
        new DateTimeOffset(2026, 11, 26, 9, 30, 0, TimeSpan.Zero),
        Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
        ["nasdaq", "tech", "large-cap"],
        new Dictionary<string, double> { ["bid"] = 412.5, ["ask"] = 412.6 });

    private readonly CborCodec<Quote> _cbor = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private Utf8JsonWriter _jsonWriter = null!;
    private byte[] _cborBytes = null!;
    private byte[] _jsonBytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cbor.Encode(Value, _buffer);
        _cborBytes = _buffer.WrittenSpan.ToArray();
        _jsonBytes = JsonSerializer.SerializeToUtf8Bytes(Value, CodecJsonContext.Default.Quote);
        _jsonWriter = new Utf8JsonWriter(_buffer);
    }

    [GlobalCleanup]
    public void Cleanup() => _jsonWriter.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Encode")]
    public int JsonSourceGenEncode()
    {
        _buffer.ResetWrittenCount();
        _jsonWriter.Reset(_buffer);
        JsonSerializer.Serialize(_jsonWriter, Value, CodecJsonContext.Default.Quote);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    [BenchmarkCategory("Encode")]
    public int JsonEncode()
    {
        _buffer.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_buffer);
        JsonSerializer.Serialize(writer, Value);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    [BenchmarkCategory("Encode")]
    public int CborEncode()
    {
        _buffer.ResetWrittenCount();
        _cbor.Encode(Value, _buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Decode")]
    public Quote JsonSourceGenDecode() => JsonSerializer.Deserialize(_jsonBytes, CodecJsonContext.Default.Quote)!;

    [Benchmark]
    [BenchmarkCategory("Decode")]
    public Quote JsonDecode() => JsonSerializer.Deserialize<Quote>(_jsonBytes)!;

    [Benchmark]
    [BenchmarkCategory("Decode")]
    public Quote CborDecode() => _cbor.Decode(_cborBytes);
}

/// <summary>A richer cached value for codec comparisons.</summary>
public sealed record Quote(string Symbol, decimal Price, DateTimeOffset At, Guid Id, List<string> Tags, Dictionary<string, double> Book);
