using CsCheck;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Hostile;

/// <summary>CsCheck generators of valid wire values, and byte mutations, shared by the property tests.</summary>
internal static class PropertyGens
{
    /// <summary>Property runs print their iteration counts here (CsCheck's summary line).</summary>
    public static void Output(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
    }

    /// <summary>Any Unicode scalar value: no lone surrogates, which UTF-8 cannot carry.</summary>
    public static readonly Gen<string> Scalar = Gen.Int[0, 0x10FFFF].Where(cp => cp is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32);

    public static readonly Gen<string> Text = Gen.Frequency(
        (3, Gen.String[Gen.Char["abcXYZ019-:_ "], 1, 16]),
        (1, Scalar.Array[1, 16].Select(parts => string.Concat(parts))));

    public static readonly Gen<string> TextOrEmpty = Gen.Frequency((1, Gen.Const(string.Empty)), (5, Text));

    public static readonly Gen<HybridTimestamp> Version = Gen.Select(Gen.Long[0, long.MaxValue], Gen.UInt, (physical, counter) => new HybridTimestamp(physical, counter));

    private static readonly long MinMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
    private static readonly long MaxDurationMs = TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Every TTL the wire can carry: a start in the DateTimeOffset range, a duration of 1 ms up to what keeps the end in range.</summary>
    public static readonly Gen<Ttl> Ttl = Gen.Frequency(
        (1, Gen.Long[MinMs, MaxMs - 1]),
        (3, Gen.Long[1_600_000_000_000, 1_900_000_000_000])).SelectMany(start =>
            Gen.Long[1, Math.Min(MaxDurationMs, MaxMs - start)].Select(duration =>
                new Ttl(DateTimeOffset.FromUnixTimeMilliseconds(start), TimeSpan.FromTicks(duration * TimeSpan.TicksPerMillisecond))));

    public static readonly Gen<HydrateEnvelope> Envelope = Gen.Frequency(
        (3, Gen.Select(Text, Version, Gen.Guid, Gen.ULong, Ttl.Nullable(0.4), TextOrEmpty, Gen.Byte.Array[0, 48], (key, version, sender, sequence, ttl, codec, payload) =>
            new HydrateEnvelope(MessageKind.Upsert, key, version, sender, sequence, ttl, codec, payload))),
        (1, Gen.Select(Text, Version, Gen.Guid, Gen.ULong, (key, version, sender, sequence) =>
            new HydrateEnvelope(MessageKind.Delete, key, version, sender, sequence, null, null, default))));

    public static readonly Gen<SampleOrderLine> Line = Gen.Select(TextOrEmpty, Gen.Int, Gen.Decimal, (sku, quantity, price) => new SampleOrderLine(sku, quantity, price));

    public static readonly Gen<SampleOrder> Order =
        Gen.Select(TextOrEmpty, Gen.Int, Gen.Decimal, Gen.Double, Gen.DateTimeOffset, Gen.Guid)
            .SelectMany(head => Gen.Select(
                Line.List[0, 4],
                Gen.Select(Text, Gen.Long).Array[0, 4],
                Gen.Byte.Array[0, 32],
                Text.Null(0.3),
                (lines, counters, blob, note) => new SampleOrder
                {
                    Id = head.Item1,
                    Quantity = head.Item2,
                    Price = head.Item3,
                    Weight = head.Item4,
                    PlacedAt = head.Item5,
                    Customer = head.Item6,
                    Lines = lines,
                    Counters = counters.DistinctBy(c => c.Item1).ToDictionary(c => c.Item1, c => c.Item2),
                    Blob = blob,
                    Note = note,
                }));

    /// <summary>Arbitrary bytes for a reader: mostly short (where CBOR headers and truncations are dense), sometimes up to 1 KiB.</summary>
    public static readonly Gen<byte[]> ArbitraryBytes = Gen.Frequency((3, Gen.Byte.Array[0, 64]), (1, Gen.Byte.Array[0, 1024]));

    public static readonly Gen<SequenceRange> Range = Gen.ULong[1, ulong.MaxValue].SelectMany(from => Gen.ULong[from, ulong.MaxValue].Select(to => new SequenceRange(from, to)));

    public static readonly Gen<ControlFrame> Control = Gen.OneOf(
        Gen.Select(Gen.Guid, Gen.ULong, Version, (sender, last, version) => (sender, last, version)).SelectMany(h =>
            Gen.ULong[0, h.last == ulong.MaxValue ? ulong.MaxValue : h.last + 1].Select(first => ControlFrame.Heartbeat(h.sender, h.last, first, h.version))),
        Gen.Select(Gen.Guid, Gen.Guid, Gen.Long[0, long.MaxValue], Gen.Frequency((9, Range.Array[0, 8]), (1, Range.Array[0, ControlFrame.MaxRanges])), (sender, requester, since, ranges) =>
            ControlFrame.Nak(sender, requester, since, ranges)),
        Gen.Select(Gen.Guid, Gen.Guid, Gen.ULong, Range.Array[0, 8], Range.Array[0, 8], (sender, requester, floor, lost, voided) =>
            ControlFrame.NakReply(sender, requester, floor, lost, voided)));

    /// <summary>One change to a byte string: flip a bit, set a byte, insert or delete one, truncate, or repeat a slice.</summary>
    public static readonly Gen<(int Kind, int Position, byte Value)> Mutation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Byte, (kind, position, value) => (kind, position, value));

    public static byte[] Mutate(byte[] bytes, (int Kind, int Position, byte Value)[] mutations)
    {
        var result = new List<byte>(bytes);
        foreach (var (kind, position, value) in mutations)
        {
            if (result.Count == 0)
            {
                result.Add(value);
                continue;
            }

            var at = position % result.Count;
            switch (kind)
            {
                case 0:
                    result[at] ^= (byte)(1 << (value % 8));
                    break;
                case 1:
                    result[at] = value;
                    break;
                case 2:
                    result.Insert(at, value);
                    break;
                case 3:
                    result.RemoveAt(at);
                    break;
                case 4:
                    result.RemoveRange(at, result.Count - at);
                    break;
                default:
                    result.InsertRange(at, result.GetRange(at, Math.Min(value, result.Count - at)));
                    break;
            }
        }

        return [.. result];
    }
}
