using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace HydrateCache.Benchmarks;

/// <summary>The default <see cref="CborCodec{T}"/> against System.Text.Json (source of the ratio) on the same value.</summary>
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
    private byte[] _cborBytes = null!;
    private byte[] _jsonBytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cbor.Encode(Value, _buffer);
        _cborBytes = _buffer.WrittenSpan.ToArray();
        _jsonBytes = JsonSerializer.SerializeToUtf8Bytes(Value);
    }

    [Benchmark(Baseline = true)]
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
    public Quote JsonDecode() => JsonSerializer.Deserialize<Quote>(_jsonBytes)!;

    [Benchmark]
    [BenchmarkCategory("Decode")]
    public Quote CborDecode() => _cbor.Decode(_cborBytes);
}

/// <summary>A richer cached value for codec comparisons.</summary>
public sealed record Quote(string Symbol, decimal Price, DateTimeOffset At, Guid Id, List<string> Tags, Dictionary<string, double> Book);
