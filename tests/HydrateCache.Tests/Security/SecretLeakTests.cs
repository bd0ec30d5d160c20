using System.Text;
using System.Text.Json;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Security;

/// <summary>Key material never appears in logs, exception messages or dumps of the options, whatever goes wrong.</summary>
[TestSuite("BVT"), TestProvider("InMemory"), TestArea("Security")]
public class SecretLeakTests
{
    private static readonly string[] KeyIds = ["s1", "s2", "e1", "e2", "short"];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static HydrateChannelOptions<string> Options(CapturingLoggerFactory logs)
    {
        var options = new HydrateChannelOptions<string> { LoggerFactory = logs, DropLogInterval = TimeSpan.Zero };
        options.Security.SigningKeys.Add(SecurityTestKeys.Signing("s1"));
        options.Security.SigningKeys.Add(SecurityTestKeys.Signing("s2"));
        options.Security.EncryptionKeys.Add(SecurityTestKeys.Encryption("e1"));
        options.Security.EncryptionKeys.Add(SecurityTestKeys.Encryption("e2"));
        options.Security.CurrentEncryptionKeyId = "e2";
        return options;
    }

    [Fact]
    public async Task ForgedUndecryptableAndMisconfigured_LogsExceptionsAndDumps_NeverShowKeyMaterial()
    {
        await using var bus = new InMemoryTransport();
        var logs = new CapturingLoggerFactory();
        var text = new StringBuilder();
        var options = Options(logs);
        var reader = new HydrateChannel<string>(bus, "prices", options);
        var writer = new HydrateChannel<string>(bus, "prices", Options(new CapturingLoggerFactory()));

        // Every kind of rejected frame, logged one by one (no rate limit).
        var good = writer.Encode(writer.CreateUpsert("k", "v"));
        var flipped = (byte[])good.Clone();
        flipped[^5] ^= 0x10;
        HydrateEnvelope.TryRead(good, 1 << 20, out var envelope);
        var tampered = envelope.Payload.ToArray();
        tampered[0] ^= 1;
        var undecryptable = (envelope with { Payload = tampered }).ToSignedArray(SecurityTestKeys.Signing("s1"), FrameSignature.CreateDomain("prices"));
        var foreign = new HydrateChannel<string>(bus, "prices", new HydrateChannelOptions<string>());
        using var cache = new LocalHydratedCache<string>();
        foreach (var frame in new[] { good, flipped, undecryptable, foreign.Encode(foreign.CreateUpsert("k", "v")), "junk"u8.ToArray() })
        {
            reader.Apply(new TransportMessage(reader.Topic, frame), cache);
        }

        Assert.Equal(4, reader.Statistics.Dropped);
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.PayloadUndecryptable));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.BadSignature));
        Assert.Equal(1, reader.Statistics.GetDropped(HydrateDropReason.Unsigned));
        Assert.True(logs.Entries.Count >= 4, "the drops were logged");

        // A control frame that fails verification goes through the recovery host's drop path.
        await reader.StartRecoveryAsync(receiving: true, Token);
        await bus.PublishAsync(reader.ControlTopic!, ControlFrame.Heartbeat(Guid.NewGuid(), 5, 1, default).ToArray(), Token);
        await Eventually.TrueAsync(() => reader.Statistics.GetDropped(HydrateDropReason.Unsigned) == 2, "the unsigned heartbeat was dropped");

        // Bad configuration: every exception's full text.
        var mistakes = new Action<HydrateSecurityOptions>[]
        {
            s => s.SigningKeys.Add(new HydrateKey("short", SecurityTestKeys.Material("sign:short", 20))),
            s => s.EncryptionKeys.Add(new HydrateKey("short", SecurityTestKeys.Material("encrypt:short", 20))),
            s => s.CurrentSigningKeyId = "missing",
            s => s.SigningKeys.Add(SecurityTestKeys.Signing("s1")),
        };
        foreach (var mistake in mistakes)
        {
            var bad = Options(logs);
            mistake(bad.Security);
            text.AppendLine(Assert.ThrowsAny<ArgumentException>(() => new HydrateChannel<string>(bus, "bad", bad)).ToString());
        }

        text.AppendLine(Assert.Throws<FormatException>(() => HydrateKey.FromBase64("b", Convert.ToBase64String(SecurityTestKeys.Material("sign:s1"))[..^3] + "!!!")).ToString());

        // Dumps: ToString, the debugger's view, and System.Text.Json of the options and keys.
        text.AppendLine(options.Security.ToString());
        text.AppendLine(SecurityTestKeys.Signing("s1").ToString());
        text.AppendLine(JsonSerializer.Serialize(options.Security));
        text.AppendLine(JsonSerializer.Serialize(SecurityTestKeys.Encryption("e1")));
        Assert.Contains("\"Id\":\"s1\"", JsonSerializer.Serialize(options.Security), StringComparison.Ordinal);

        foreach (var entry in logs.Entries)
        {
            text.AppendLine(entry.Message).AppendLine(entry.Exception?.ToString());
        }

        var all = text.ToString();
        Assert.Contains("s2", all, StringComparison.Ordinal);
        SecurityTestKeys.AssertNoLeak(all, KeyIds);
        await reader.DisposeAsync();
    }

    [Fact]
    public void AssertNoLeak_FindsMaterialInHexAndBase64()
    {
        var material = SecurityTestKeys.Material("sign:s1");
        Assert.ThrowsAny<Exception>(() => SecurityTestKeys.AssertNoLeak("x" + Convert.ToHexStringLower(material) + "x", "s1"));
        Assert.ThrowsAny<Exception>(() => SecurityTestKeys.AssertNoLeak(Convert.ToHexString(material), "s1"));
        Assert.ThrowsAny<Exception>(() => SecurityTestKeys.AssertNoLeak(Convert.ToBase64String(material), "s1"));
    }
}
