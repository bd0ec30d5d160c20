using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace HydrateCache.Benchmarks;

/// <summary>
/// The per-message cost of the channel: encode an update into a frame, and decode a received frame (envelope + payload).
/// The baseline is the payload codec alone, so the ratio is the envelope's overhead.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class EnvelopeBenchmarks
{
    private readonly Price _value = new("MSFT", 412.57m);
    private HydrateChannel<Price> _channel = null!;
    private TypedMessage<Price> _message = null!;
    private byte[] _frame = null!;
    private byte[] _payload = null!;

    [GlobalSetup]
    public void Setup()
    {
        _channel = new HydrateChannel<Price>(new InMemoryTransport(), "bench");
        _message = _channel.CreateUpsert("MSFT", _value, Ttl.FromNow(TimeSpan.FromMinutes(5)));
        _frame = _channel.Encode(_message);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        _channel.Codec.Encode(_value, buffer);
        _payload = buffer.WrittenSpan.ToArray();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Decode")]
    public Price PayloadDecodeOnly() => _channel.Codec.Decode(_payload);

    [Benchmark]
    [BenchmarkCategory("Decode")]
    public TypedMessage<Price>? FrameDecode() => _channel.Decode(_frame);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Encode")]
    public int PayloadEncodeOnly()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        _channel.Codec.Encode(_value, buffer);
        return buffer.WrittenCount;
    }

    [Benchmark]
    [BenchmarkCategory("Encode")]
    public byte[] FrameEncode() => _channel.Encode(_message);
}
