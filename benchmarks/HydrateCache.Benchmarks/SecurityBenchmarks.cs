using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace HydrateCache.Benchmarks;

/// <summary>
/// The per-message cost of security: encode an update into a frame and decode it again (what one publish and one
/// receive cost together), plain vs signed (HMAC-SHA256) vs signed and encrypted (AES-256-GCM). The baseline is the
/// plain channel, so the ratio is what security adds to the channel's own work.
/// </summary>
[MemoryDiagnoser]
public class SecurityBenchmarks
{
    private readonly Price _value = new("MSFT", 412.57m);
    private HydrateChannel<Price> _plain = null!;
    private HydrateChannel<Price> _signed = null!;
    private HydrateChannel<Price> _encrypted = null!;
    private TypedMessage<Price> _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        var transport = new InMemoryTransport();
        _plain = new HydrateChannel<Price>(transport, "bench", Options(sign: false, encrypt: false));
        _signed = new HydrateChannel<Price>(transport, "bench", Options(sign: true, encrypt: false));
        _encrypted = new HydrateChannel<Price>(transport, "bench", Options(sign: true, encrypt: true));
        _message = _plain.CreateUpsert("MSFT", _value, Ttl.FromNow(TimeSpan.FromMinutes(5)));
    }

    private static HydrateChannelOptions<Price> Options(bool sign, bool encrypt)
    {
        var options = new HydrateChannelOptions<Price>();
        options.Recovery.Enabled = false;
        if (sign)
        {
            options.Security.SigningKeys.Add(new HydrateKey("s1", RandomNumberGenerator.GetBytes(32)));
        }

        if (encrypt)
        {
            options.Security.EncryptionKeys.Add(new HydrateKey("e1", RandomNumberGenerator.GetBytes(32)));
        }

        return options;
    }

    [Benchmark(Baseline = true)]
    public TypedMessage<Price>? Plain() => _plain.Decode(_plain.Encode(_message));

    [Benchmark]
    public TypedMessage<Price>? Signed() => _signed.Decode(_signed.Encode(_message));

    [Benchmark]
    public TypedMessage<Price>? SignedAndEncrypted() => _encrypted.Decode(_encrypted.Encode(_message));
}
