using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static HydrateCache.HydrateDropReason;

namespace HydrateCache.TestKit;

/// <summary>
/// Generates hostile frames for a channel of <see cref="SampleOrder"/> values with the default <c>cbor</c> codec, aimed at
/// its data topic and at its control topic: deterministic from <see cref="Seed"/> (print it, and set the environment
/// variable <c>HYDRATE_HOSTILE_SEED</c> to replay a failure). The one source of hostile input for the unit and the
/// transport tests.
/// </summary>
/// <remarks>
/// <para>Frames are written byte by byte from docs/wire-format.md, not with the library's writers, so a writer bug cannot
/// hide a reader bug. Every frame states the drop reason(s) a receiver may count for it.</para>
/// <para>Fixed cases: every truncation of valid frames (upsert with TTL, upsert without, delete, an indefinite-length
/// upsert, heartbeat, NAK, NAK reply), every bit flip of their header bytes, unknown format versions and kinds, CBOR
/// declaring absurd lengths (2^62-byte strings, 2^32-item arrays) in the envelope and in the payload, nesting thousands
/// of levels deep (arrays, maps, tags), invalid UTF-8 in keys and codec ids, out-of-domain fields,
/// valid envelopes whose payload the codec rejects or whose codec is not the channel's, versions far ahead of any clock,
/// frames above the channel's limit, indefinite-length edge cases, trailing bytes, and control frames published to the
/// data topic and update frames to the control topic. Random cases fill up to the requested count: random bytes,
/// the magic tag followed by random bytes, random truncations and header bit flips of random valid frames, and random
/// payload garbage in valid envelopes.</para>
/// <para>Every envelope that parses (and so names a sender) carries a sender id of its own and sequence number 1, so a
/// receiver's loss recovery sees no gap whatever order a transport delivers the frames in.</para>
/// </remarks>
public sealed class HostileFrameCorpus
{
    /// <summary>The largest control frame a channel reads; larger ones are dropped as too large.</summary>
    public const int ControlFrameLimit = 16 * 1024;

    /// <summary>The environment variable that fixes the seed of <see cref="NewSeed"/>, to replay a failure.</summary>
    public const string SeedVariable = "HYDRATE_HOSTILE_SEED";

    /// <summary>The physical time of generated versions: 2023-11-14, in the past of any test run, never ahead of a clock.</summary>
    private const ulong PastPhysical = 1_700_000_000_000;

    private static readonly byte[] Magic = [0xd9, 0xd9, 0xf7];
    private static readonly byte[] Null = [0xf6];
    private static readonly string[] KeyAlphabet = ["a", "k", "Z", "0", "-", ":", "é", "ß", "中", "ключ", "😀", " ", "\u0000"];

    /// <summary>Byte sequences that are not UTF-8: a lone continuation, overlong forms, surrogates, beyond U+10FFFF, cut sequences.</summary>
    private static readonly byte[][] InvalidUtf8 =
    [
        [0xc3, 0x28], [0xa0, 0xa1], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff], [0xfe, 0xff], [0xe2, 0x82], [0x6b, 0x80], [0x6b, 0xf0, 0x9f, 0x98],
    ];

    private readonly Random _random;
    private readonly CborCodec<SampleOrder> _codec = new();

    /// <summary>Initializes a new instance of the <see cref="HostileFrameCorpus"/> class.</summary>
    /// <param name="seed">The seed of every random choice.</param>
    /// <param name="maxMessageBytes">The receiving channel's <see cref="HydrateChannelOptions{T}.MaxMessageBytes"/>: the
    /// oversized frames exceed it, every other data frame stays within it.</param>
    public HostileFrameCorpus(int seed, int maxMessageBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, 4096);
        Seed = seed;
        MaxMessageBytes = maxMessageBytes;
        _random = new Random(seed);
    }

    /// <summary>Gets the seed.</summary>
    public int Seed { get; }

    /// <summary>Gets the receiving channel's frame limit the corpus was made for.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Returns the seed from <see cref="SeedVariable"/> when set, otherwise a new random one.</summary>
    public static int NewSeed() =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : Random.Shared.Next();

    /// <summary>A valid <see cref="SampleOrder"/> made from the seed's random stream.</summary>
    public SampleOrder NextOrder() => new()
    {
        Id = NextKey(),
        Quantity = _random.Next(-5, 1000),
        Price = new decimal(_random.Next(), _random.Next(), 0, _random.Next(2) == 0, (byte)_random.Next(0, 10)),
        Weight = _random.NextDouble() * 1000,
        PlacedAt = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(_random.Next(-14 * 60, 14 * 60))).AddTicks(_random.NextInt64(0, TimeSpan.TicksPerDay * 3650)),
        Customer = NextGuid(),
        Lines = [.. Enumerable.Range(0, _random.Next(0, 4)).Select(i => new SampleOrderLine(NextKey(), i, i * 1.25m))],
        Counters = Enumerable.Range(0, _random.Next(0, 4)).ToDictionary(i => $"c{i}", i => _random.NextInt64()),
        Blob = NextBytes(_random.Next(0, 24)),
        Note = _random.Next(2) == 0 ? null : NextKey(),
    };

    /// <summary>
    /// Generates every fixed case plus random ones until at least <paramref name="dataFrames"/> frames target the data
    /// topic and <paramref name="controlFrames"/> the control topic.
    /// </summary>
    /// <param name="dataFrames">The least number of data-topic frames.</param>
    /// <param name="controlFrames">The least number of control-topic frames.</param>
    /// <param name="includeMayBeAccepted">Whether to add random bit flips and byte changes anywhere in valid frames, which may
    /// leave them valid (<see cref="HostileFrame.MayBeAccepted"/>), one per 20 random frames.</param>
    /// <returns>The frames, data ones first.</returns>
    public IReadOnlyList<HostileFrame> Generate(int dataFrames, int controlFrames, bool includeMayBeAccepted = false)
    {
        var data = new List<HostileFrame>();
        AddDataFixed(data);
        while (data.Count < dataFrames)
        {
            AddDataRandom(data, includeMayBeAccepted);
        }

        var control = new List<HostileFrame>();
        AddControlFixed(control);
        while (control.Count < controlFrames)
        {
            AddControlRandom(control);
        }

        return [.. data, .. control];
    }

    private void AddDataFixed(List<HostileFrame> frames)
    {
        void Add(string family, byte[] bytes, params HydrateDropReason[] reasons) => frames.Add(new HostileFrame(family, bytes, HostileTopic.Data, reasons));

        var upsertTtl = Frame(Upsert(ttl: true));
        var upsert = Frame(Upsert(ttl: false));
        var delete = Frame(Delete());
        var indefinite = IndefiniteUpsert();

        // Empty and every single byte.
        Add("random-bytes", [], NotAFrame);
        for (var b = 0; b < 256; b++)
        {
            Add("random-bytes", [(byte)b], NotAFrame, Malformed);
        }

        foreach (var frame in new[] { upsertTtl, upsert, delete, indefinite })
        {
            AddTruncations(frames, "truncation", frame, HostileTopic.Data);
        }

        foreach (var frame in new[] { upsertTtl, delete })
        {
            AddHeaderFlips(frames, "bit-flip-header", frame, HostileTopic.Data);
        }

        // Format versions other than 1, in a full frame and in a frame of another shape.
        foreach (var version in new ulong[] { 0, 2, 3, 23, 24, 255, 256, 65_535, uint.MaxValue, 1UL << 32, ulong.MaxValue })
        {
            Add("unknown-version", Frame(With(Upsert(), 0, U(version))), UnsupportedVersion);
            Add("unknown-version", Frame([U(version), Txt("v2"), Head(5, 0)]), UnsupportedVersion);
        }

        foreach (var version in new[] { N(-1), Txt("1"), Null, [0xf9, 0x3c, 0x00], Bst([1]), Head(4, 0) })
        {
            Add("unknown-version", Frame(With(Upsert(), 0, version)), Malformed);
        }

        // Kinds other than upsert and delete; the control kinds 16..18 included.
        foreach (var kind in new ulong[] { 0, 3, 4, 15, 16, 17, 18, 255, 65_535, uint.MaxValue })
        {
            Add("unknown-kind", Frame(With(Upsert(), 1, U(kind))), InvalidField);
        }

        foreach (var kind in new[] { U(1UL << 32), U(ulong.MaxValue), N(-1), Txt("upsert") })
        {
            Add("unknown-kind", Frame(With(Upsert(), 1, kind)), Malformed);
        }

        // Control frames on the data topic: fewer than 10 items, so malformed (docs/wire-format.md says invalid field).
        Add("control-on-data", Heartbeat(), Malformed, InvalidField);
        Add("control-on-data", Nak(), Malformed, InvalidField);
        Add("control-on-data", NakReply(), Malformed, InvalidField);

        // Absurd declared lengths: in the envelope every one is malformed, in the payload undecodable.
        var huge = new ulong[] { 1UL << 31, uint.MaxValue, 1UL << 32, 1UL << 62, ulong.MaxValue };
        foreach (var length in huge)
        {
            Add("absurd-length", FrameWithHeader(Head(4, length), Upsert()), Malformed);
            Add("absurd-length", Frame(With(Upsert(), 2, Head(3, length))), Malformed);
            Add("absurd-length", Frame(With(Upsert(), 5, Head(2, length))), Malformed);
            Add("absurd-length", Frame(With(Upsert(), 7, Head(4, length))), Malformed);
            Add("absurd-length", Frame(With(Upsert(), 8, Head(3, length))), Malformed);
            Add("absurd-length", Frame(With(Upsert(), 9, Head(2, length))), Malformed);
            Add("absurd-length", Frame([.. Upsert(), Head(2, length)]), Malformed, InvalidField);
            Add("absurd-length", Frame(Upsert(payload: OrderMapWith("Lines", Head(4, length)))), PayloadUndecodable);
            Add("absurd-length", Frame(Upsert(payload: OrderMapWith("Counters", Head(5, length)))), PayloadUndecodable);
            Add("absurd-length", Frame(Upsert(payload: OrderMapWith("Blob", Head(2, length)))), PayloadUndecodable);
            Add("absurd-length", Frame(Upsert(payload: OrderMapWith("Id", Head(3, length)))), PayloadUndecodable);
            Add("absurd-length", Frame(Upsert(payload: Head(5, length))), PayloadUndecodable);
        }

        // Nesting thousands of levels deep, within the frame limit.
        var deepest = Math.Min(10_000, MaxMessageBytes - 1024);
        foreach (var levels in new[] { 65, 1000, deepest })
        {
            var arrays = Nested(0x81, levels);
            var maps = Concat([.. Enumerable.Repeat<byte[]>([0xa1, 0x00], Math.Min(levels, (MaxMessageBytes - 1024) / 2)), [0x00]]);
            var tags = Enumerable.Repeat((byte)0xc6, levels).ToArray();
            Add("deep-nesting", arrays, NotAFrame);
            Add("deep-nesting", maps, NotAFrame);
            Add("deep-nesting", Concat(Magic, arrays), Malformed);
            Add("deep-nesting", Concat(Magic, maps), Malformed);
            Add("deep-nesting", Concat(Magic, tags, Frame(Upsert())[Magic.Length..]), Malformed);
            Add("deep-nesting", Concat(Concat([.. Enumerable.Repeat(Magic, levels / 3)]), Frame(Upsert())), Malformed);
            Add("deep-nesting", Frame(With(Upsert(), 2, arrays)), Malformed);
            Add("deep-nesting", Frame([.. Upsert(), arrays]), Malformed, InvalidField);
            Add("deep-nesting", Frame(Upsert(payload: arrays)), PayloadUndecodable);
            Add("deep-nesting", Frame(Upsert(payload: maps)), PayloadUndecodable);
            Add("deep-nesting", Frame(Upsert(payload: Concat(tags, Head(5, 0)))), PayloadUndecodable);
            Add("deep-nesting", Frame(Upsert(payload: OrderMapWith("Lines", arrays))), PayloadUndecodable);
            Add("deep-nesting", Frame(Upsert(payload: OrderMapWith("Unknown", arrays))), PayloadUndecodable);
        }

        // Invalid UTF-8 where the envelope and the payload have text.
        foreach (var bytes in InvalidUtf8)
        {
            Add("invalid-utf8", Frame(With(Upsert(), 2, TxtRaw(bytes))), Malformed);
            Add("invalid-utf8", Frame(With(Delete(), 2, TxtRaw(bytes))), Malformed);
            Add("invalid-utf8", Frame(With(Upsert(), 8, TxtRaw(bytes))), Malformed);

            // Not here: invalid UTF-8 in the payload. The codec reads in CBOR's lax mode by default, which decodes such text
            // with replacement characters, and compares map keys as bytes (an invalid key names no member and is skipped).
        }

        // A character split across the chunks of an indefinite-length key.
        Add("invalid-utf8", Frame(With(Upsert(), 2, [0x7f, 0x61, 0xc3, 0x61, 0xa9, 0xff])), Malformed);

        // Fields out of their domain.
        var outOfDomain = new (int Index, byte[] Value)[]
        {
            (2, Txt(string.Empty)), (2, [0x7f, 0xff]), (3, U(1UL << 63)), (3, U(ulong.MaxValue)),
            (5, Bst([])), (5, Bst(NextBytes(15))), (5, Bst(NextBytes(17))), (5, Concat([0x5f], Bst(NextBytes(7)), Bst(NextBytes(8)), [0xff])),
            (7, Ttl(PastPhysical, 0)), (7, Concat(Head(4, 3), U(PastPhysical), U(1000), U(1))), (7, Concat(Head(4, 1), U(PastPhysical))),
            (7, Concat([0x9f], U(PastPhysical), U(1000), [0xff])), (7, Concat(Head(4, 2), U(253_402_300_800_000), U(1000))),
            (7, Concat(Head(4, 2), N(-62_135_596_800_001), U(1000))), (7, Ttl(PastPhysical, ulong.MaxValue)),
            (7, Ttl(253_402_300_799_000, 10_000)), (8, Null), (9, Null),
        };
        foreach (var (index, value) in outOfDomain)
        {
            Add("invalid-field", Frame(With(Upsert(), index, value)), InvalidField);
        }

        Add("invalid-field", Frame(With(Delete(), 9, Bst([1]))), InvalidField);
        Add("invalid-field", Frame(With(With(Delete(), 8, Txt("cbor")), 9, Bst([1]))), InvalidField);
        Add("invalid-field", Frame(With(Delete(), 7, Ttl(PastPhysical, 1000))), InvalidField);
        Add("invalid-field", Frame(With(Delete(), 8, Txt("cbor"))), InvalidField);

        // Data items of the wrong type, and arrays of the wrong length.
        var wrongType = new (int Index, byte[] Value)[]
        {
            (2, Bst("k"u8.ToArray())), (2, U(7)), (2, Null), (3, N(-1)), (3, Txt("1700000000000")), (4, U(1UL << 32)), (4, N(-1)),
            (5, Txt("0123456789abcdef")), (5, Null), (6, N(-1)), (6, Null), (7, Head(5, 0)), (7, Txt("ttl")), (7, Concat(Head(4, 2), Txt("a"), U(1))),
            (7, Concat(Head(4, 2), U(PastPhysical), N(-1000))), (8, U(1)), (8, Bst("cbor"u8.ToArray())), (9, Txt("payload")), (9, U(0)),
        };
        foreach (var (index, value) in wrongType)
        {
            Add("wrong-type", Frame(With(Upsert(), index, value)), Malformed);
        }

        Add("wrong-type", FrameWithHeader(Head(4, 9), Upsert()[..9]), Malformed);
        Add("wrong-type", FrameWithHeader(Head(4, 0), []), Malformed);
        Add("wrong-type", Concat(Magic, U(1)), Malformed);
        Add("wrong-type", Concat(Magic, Head(5, 0)), Malformed);
        Add("wrong-type", Magic, Malformed);
        Add("wrong-type", Concat(Magic[..2], [0x00]), NotAFrame);

        // Valid envelopes whose payload is another codec's or is not a SampleOrder.
        foreach (var codecId in new[] { "json", string.Empty, "CBOR", "cbor ", "cbor\0", "msgpack", new string('c', 1000) })
        {
            Add("codec-mismatch", Frame(With(Upsert(), 8, Txt(codecId))), CodecMismatch);
        }

        var order = _codec.EncodeToArray(NextOrder());
        List<byte[]> rejected =
        [
            [], [0xff], [0x1c], [0xf7], U(42), Txt("order"), Head(4, 0), Bst([1, 2, 3]), Concat(order, [0x00]), Concat(order, order),
            OrderMapWith("Quantity", Txt("many")), OrderMapWith("Quantity", U(1UL << 40)), OrderMapWith("Price", Txt("1.5")),
            OrderMapWith("PlacedAt", Concat([0xc0], Txt("not a date"))), OrderMapWith("Customer", Bst([1, 2, 3])),
            OrderMapWith("Lines", Head(5, 0)), OrderMapWith("Lines", Concat(Head(4, 1), U(1))), OrderMapWith("Counters", Concat(Head(5, 1), Txt("c"), Txt("x"))),
            OrderMapWith("Weight", Txt("heavy")), OrderMapWith("Blob", Txt("blob")), Concat([0xbf], Txt("Id"), Txt("x")),
        ];
        for (var length = 0; length < order.Length; length += 3)
        {
            rejected.Add(order[..length]);
        }

        foreach (var payload in rejected)
        {
            Add("payload-rejected", Frame(Upsert(payload: payload)), PayloadUndecodable);
        }

        // Versions far ahead of any clock (2100-01-01, 2^62 ms, the largest accepted).
        foreach (var physical in new ulong[] { 4_102_444_800_000, 1UL << 62, long.MaxValue })
        {
            Add("clock-skew", Frame(With(Upsert(), 3, U(physical))), ClockSkew);
            Add("clock-skew", Frame(With(Delete(), 3, U(physical))), ClockSkew);
        }

        // Larger than the channel accepts, whatever the content.
        foreach (var size in new[] { MaxMessageBytes + 1, MaxMessageBytes + 2, MaxMessageBytes + 1000, 2 * MaxMessageBytes })
        {
            Add("oversized", NextBytes(size), TooLarge);
            var blob = NextBytes(size);
            var frame = Frame(Upsert(payload: _codec.EncodeToArray(NextOrder() with { Blob = blob })));
            Add("oversized", frame, TooLarge);
        }

        // Indefinite lengths: a missing break, a break too early, chunks of the wrong type or nested.
        Add("indefinite", indefinite[..^1], Malformed);
        Add("indefinite", Concat(Magic, [0x9f], Concat(Upsert()[..9]), [0xff]), Malformed);
        Add("indefinite", [0xff], Malformed);
        Add("indefinite", Concat(Magic, [0xff]), Malformed);
        Add("indefinite", Concat(Magic, [0x9f, 0xff]), Malformed);
        Add("indefinite", Frame(With(Upsert(), 2, [0x7f, 0x41, 0x61, 0xff])), Malformed);
        Add("indefinite", Frame(With(Upsert(), 2, [0x7f, 0x7f, 0x61, 0x61, 0xff, 0xff])), Malformed);
        Add("indefinite", Frame(With(Upsert(), 2, [0x7f, 0x61, 0x61])), Malformed);
        Add("indefinite", Frame(With(Upsert(), 5, Concat([0x5f, 0x5f], Bst(NextBytes(16)), [0xff, 0xff]))), Malformed);
        Add("indefinite", Frame(With(Upsert(), 9, [0x5f, 0x41, 0x01])), Malformed);
        Add("indefinite", Concat(Frame(Delete())[..^1], [0xff]), Malformed);
        Add("indefinite", Frame(With(Upsert(), 9, Bst([0x9f, 0x01, 0x02]))), PayloadUndecodable);
        Add("indefinite", Frame(With(Upsert(), 9, Bst([0xbf, 0x62, 0x49, 0x64, 0x61, 0x78]))), PayloadUndecodable);

        // Bytes after the frame.
        foreach (var tail in new byte[][] { [0x00], [0xff], [0xf6], Frame(Upsert()), NextBytes(1 + _random.Next(20)) })
        {
            Add("trailing", Concat(upsertTtl, tail), Malformed);
            Add("trailing", Concat(delete, tail), Malformed);
        }
    }

    private void AddDataRandom(List<HostileFrame> frames, bool includeMayBeAccepted)
    {
        void Add(string family, byte[] bytes, params HydrateDropReason[] reasons) => frames.Add(new HostileFrame(family, bytes, HostileTopic.Data, reasons));

        switch (_random.Next(includeMayBeAccepted ? 20 : 19))
        {
            case < 8:
                Add("random-bytes", NextRandomFrame(MaxMessageBytes), NotAFrame, Malformed);
                break;
            case < 10:
                Add("magic-random", Concat(Magic, NextBytes(NextLength(MaxMessageBytes - Magic.Length))), Malformed, UnsupportedVersion, InvalidField);
                break;
            case 10:
                Add("magic-random", Concat(Magic, Head(4, 10), U(1), NextBytes(NextLength(MaxMessageBytes - 16))), Malformed, InvalidField);
                break;
            case < 14:
                {
                    var frame = NextValidFrame();
                    var length = _random.Next(frame.Length);
                    Add("truncation", frame[..length], length == 0 ? [NotAFrame] : [Malformed]);
                    break;
                }

            case < 16:
                {
                    var frame = NextValidFrame();
                    var index = _random.Next(6);
                    var bit = _random.Next(8);
                    if (TurnsDeleteIntoInvalidate(frame, index, bit))
                    {
                        bit = 1;
                    }

                    frame[index] ^= (byte)(1 << bit);
                    Add("bit-flip-header", frame, HeaderFlipReasons(index));
                    break;
                }

            case < 19:
                {
                    var garbage = NextBytes(NextLength(MaxMessageBytes / 2));
                    if (garbage.Length > 0)
                    {
                        // Not a map, null, undefined or tag: never a SampleOrder, whatever follows.
                        garbage[0] = (byte)_random.Next(0xa0);
                    }

                    Add("payload-garbage", Frame(Upsert(key: NextKey(), payload: garbage)), PayloadUndecodable);
                    break;
                }

            default:
                {
                    var frame = NextValidFrame();
                    for (var changes = _random.Next(1, 4); changes > 0; changes--)
                    {
                        var index = _random.Next(frame.Length);
                        if (_random.Next(2) == 0)
                        {
                            frame[index] ^= (byte)(1 << _random.Next(8));
                        }
                        else
                        {
                            frame[index] = (byte)_random.Next(256);
                        }
                    }

                    frames.Add(new HostileFrame("mutation", frame, HostileTopic.Data, [.. Enum.GetValues<HydrateDropReason>().Where(r => r is not TransportLoss and not TooLarge)], MayBeAccepted: true));
                    break;
                }
        }
    }

    private void AddControlFixed(List<HostileFrame> frames)
    {
        void Add(string family, byte[] bytes, params HydrateDropReason[] reasons) => frames.Add(new HostileFrame(family, bytes, HostileTopic.Control, reasons));

        Add("random-bytes", [], NotAFrame);
        for (var b = 0; b < 256; b++)
        {
            Add("random-bytes", [(byte)b], NotAFrame, Malformed);
        }

        foreach (var frame in new[] { Heartbeat(), Nak(), NakReply() })
        {
            AddTruncations(frames, "truncation", frame, HostileTopic.Control);
            AddHeaderFlips(frames, "bit-flip-header", frame, HostileTopic.Control);
            Add("trailing", Concat(frame, [0x00]), Malformed);
            Add("trailing", Concat(frame, frame), Malformed);
        }

        foreach (var version in new ulong[] { 0, 2, 255, ulong.MaxValue })
        {
            Add("unknown-version", Frame(With(HeartbeatItems(), 0, U(version))), UnsupportedVersion);
        }

        foreach (var kind in new ulong[] { 0, 1, 2, 3, 15, 19, 255, uint.MaxValue })
        {
            Add("unknown-kind", Frame(With(HeartbeatItems(), 1, U(kind))), InvalidField);
        }

        Add("unknown-kind", Frame(With(HeartbeatItems(), 1, U(1UL << 32))), Malformed);

        // Updates on the control topic: kinds 1 and 2 are not control kinds.
        Add("update-on-control", Frame(Upsert()), InvalidField);
        Add("update-on-control", Frame(Delete()), InvalidField);

        Add("wrong-type", FrameWithHeader(Head(4, 6), HeartbeatItems()[..6]), Malformed);
        Add("wrong-type", FrameWithHeader(Head(4, 5), NakItems()[..5]), Malformed);
        Add("wrong-type", Frame(With(HeartbeatItems(), 3, Txt("last"))), Malformed);
        Add("wrong-type", Frame(With(NakItems(), 5, U(3))), Malformed);
        Add("invalid-field", Frame(With(HeartbeatItems(), 2, Bst(NextBytes(15)))), InvalidField);
        Add("invalid-field", Frame(With(NakItems(), 3, Bst(NextBytes(17)))), InvalidField);
        Add("invalid-field", Frame(With(HeartbeatItems(), 5, U(1UL << 63))), InvalidField);
        Add("invalid-field", Frame(With(With(HeartbeatItems(), 3, U(5)), 4, U(7))), InvalidField);
        Add("invalid-field", Frame(With(NakItems(), 4, U(1UL << 63))), InvalidField);

        // Heartbeats of a version far ahead of any clock.
        foreach (var physical in new ulong[] { 4_102_444_800_000, 1UL << 62, long.MaxValue })
        {
            Add("clock-skew", Frame(With(HeartbeatItems(), 5, U(physical))), ClockSkew);
        }

        // Ranges: an odd count, too many, starting at 0, backwards, of unknown length.
        var badRanges = new[]
        {
            Concat(Head(4, 3), U(1), U(2), U(3)), Ranges([.. Enumerable.Range(0, 257).Select(i => ((ulong)(2 * i) + 1, (ulong)(2 * i) + 1))]),
            Ranges([(0, 5)]), Ranges([(9, 3)]), Concat([0x9f], U(1), U(2), [0xff]),
        };
        foreach (var ranges in badRanges)
        {
            Add("invalid-field", Frame(With(NakItems(), 5, ranges)), InvalidField);
            Add("invalid-field", Frame(With(NakReplyItems(), 6, ranges)), InvalidField);
        }

        foreach (var length in new ulong[] { 1UL << 31, 1UL << 32, 1UL << 62, ulong.MaxValue })
        {
            Add("absurd-length", Frame(With(NakItems(), 5, Head(4, length))), Malformed);
            Add("absurd-length", Frame(With(HeartbeatItems(), 2, Head(2, length))), Malformed);
            Add("absurd-length", FrameWithHeader(Head(4, length), HeartbeatItems()), Malformed);
        }

        foreach (var levels in new[] { 65, 1000, 5000 })
        {
            var arrays = Nested(0x81, levels);
            Add("deep-nesting", arrays, NotAFrame);
            Add("deep-nesting", Concat(Magic, arrays), Malformed);
            Add("deep-nesting", Frame([.. HeartbeatItems(), arrays]), Malformed);
            Add("deep-nesting", Frame(With(NakItems(), 5, arrays)), InvalidField);
        }

        foreach (var size in new[] { ControlFrameLimit + 1, ControlFrameLimit + 1000 })
        {
            Add("oversized", NextBytes(size), TooLarge);
            Add("oversized", Frame([.. HeartbeatItems(), Bst(NextBytes(size))]), TooLarge);
        }
    }

    private void AddControlRandom(List<HostileFrame> frames)
    {
        void Add(string family, byte[] bytes, params HydrateDropReason[] reasons) => frames.Add(new HostileFrame(family, bytes, HostileTopic.Control, reasons));

        var valid = _random.Next(3) switch
        {
            0 => Heartbeat(),
            1 => Nak(),
            _ => NakReply(),
        };
        switch (_random.Next(6))
        {
            case < 3:
                Add("random-bytes", NextRandomFrame(ControlFrameLimit), NotAFrame, Malformed);
                break;
            case 3:
                Add("magic-random", Concat(Magic, NextBytes(NextLength(512))), Malformed, UnsupportedVersion, InvalidField);
                break;
            case 4:
                var length = _random.Next(valid.Length);
                Add("truncation", valid[..length], length == 0 ? [NotAFrame] : [Malformed]);
                break;
            default:
                var index = _random.Next(6);
                valid[index] ^= (byte)(1 << _random.Next(8));
                Add("bit-flip-header", valid, HeaderFlipReasons(index));
                break;
        }
    }

    private static void AddTruncations(List<HostileFrame> frames, string family, byte[] frame, HostileTopic topic)
    {
        for (var length = 0; length < frame.Length; length++)
        {
            frames.Add(new HostileFrame(family, frame[..length], topic, length == 0 ? [NotAFrame] : [Malformed]));
        }
    }

    /// <summary>Every single-bit flip of the first six bytes (magic tag, array header, format version, kind) that makes an invalid frame.</summary>
    private static void AddHeaderFlips(List<HostileFrame> frames, string family, byte[] frame, HostileTopic topic)
    {
        for (var index = 0; index < 6; index++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var flipped = (byte[])frame.Clone();
                flipped[index] ^= (byte)(1 << bit);
                if (topic == HostileTopic.Data && TurnsDeleteIntoInvalidate(frame, index, bit))
                {
                    continue;
                }

                frames.Add(new HostileFrame(family, flipped, topic, HeaderFlipReasons(index)));
            }
        }
    }

    /// <summary>A delete (kind 2) differs from an invalidate (kind 3, the same items) by bit 0 of the kind: that flip makes a valid frame, not a hostile one.</summary>
    private static bool TurnsDeleteIntoInvalidate(byte[] frame, int index, int bit) => index == 5 && bit == 0 && frame[5] == 0x02;

    /// <summary>
    /// What a flipped bit in a header byte of a valid frame (<c>d9 d9 f7 8a 01 kind</c>, or <c>87</c>/<c>86</c> for control
    /// frames) can cause. Only one flip turns a valid header into another: a delete (kind 2) into an invalidate (kind 3),
    /// which has the same items; kinds 1 and 2 (16, 17 and 18 for control frames) differ in two bits or turn the
    /// remaining items into the wrong types.
    /// </summary>
    private static HydrateDropReason[] HeaderFlipReasons(int index) => index switch
    {
        < 3 => [NotAFrame, Malformed],
        3 => [Malformed],
        4 => [UnsupportedVersion, Malformed],
        _ => [InvalidField, Malformed],
    };

    private byte[][] Upsert(bool ttl = true, string key = "order-1", byte[]? payload = null) =>
    [
        U(1), U(1), Txt(key), U(PastPhysical), U(0), Bst(NextBytes(16)), U(1),
        ttl ? Ttl(PastPhysical, 60_000) : Null, Txt("cbor"), Bst(payload ?? _codec.EncodeToArray(NextOrder())),
    ];

    private byte[][] Delete(string key = "order-1") =>
        [U(1), U(2), Txt(key), U(PastPhysical), U(0), Bst(NextBytes(16)), U(1), Null, Null, Null];

    /// <summary>An upsert as another CBOR writer may send it: indefinite-length array, key and payload in chunks.</summary>
    private byte[] IndefiniteUpsert()
    {
        var items = Upsert(ttl: true);
        var payload = _codec.EncodeToArray(NextOrder());
        items[2] = Concat([0x7f], Txt("ord"), Txt("er-1"), [0xff]);
        items[9] = Concat([0x5f], Bst(payload[..(payload.Length / 2)]), Bst(payload[(payload.Length / 2)..]), [0xff]);
        return Concat([.. (byte[][])[Magic, [0x9f]], .. items, [0xff]]);
    }

    private byte[] NextValidFrame() => _random.Next(3) switch
    {
        0 => Frame(Upsert(ttl: true, key: NextKey())),
        1 => Frame(Upsert(ttl: false, key: NextKey())),
        _ => Frame(Delete(NextKey())),
    };

    private byte[][] HeartbeatItems() =>
        [U(1), U(16), Bst(NextBytes(16)), U(12), U(3), U(PastPhysical), U(7)];

    private byte[][] NakItems() =>
        [U(1), U(17), Bst(NextBytes(16)), Bst(NextBytes(16)), U(PastPhysical), Ranges([(3, 5), (9, 9), (11, 40)])];

    private byte[][] NakReplyItems() =>
        [U(1), U(18), Bst(NextBytes(16)), Bst(NextBytes(16)), U(4), Ranges([(3, 5)]), Ranges([(41, 50)])];

    private byte[] Heartbeat() => Frame(HeartbeatItems());

    private byte[] Nak() => Frame(NakItems());

    private byte[] NakReply() => Frame(NakReplyItems());

    /// <summary>A SampleOrder map with one member replaced by <paramref name="value"/> (any bytes, valid CBOR or not).</summary>
    private static byte[] OrderMapWith(string member, byte[] value) =>
        Concat(Head(5, 3), Txt("Id"), Txt("o-1"), Txt("Quantity"), U(2), Txt(member), value);

    private string NextKey()
    {
        var builder = new StringBuilder();
        for (var i = _random.Next(1, 12); i > 0; i--)
        {
            builder.Append(KeyAlphabet[_random.Next(KeyAlphabet.Length)]);
        }

        return builder.ToString();
    }

    private Guid NextGuid() => new(NextBytes(16));

    private byte[] NextBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A length skewed to small: half up to 32 bytes, most of the rest up to 512, a few up to <paramref name="max"/>.</summary>
    private int NextLength(int max) => _random.Next(10) switch
    {
        < 5 => _random.Next(0, Math.Min(33, max + 1)),
        < 9 => _random.Next(0, Math.Min(513, max + 1)),
        _ => _random.Next(0, max + 1),
    };

    /// <summary>Random bytes that do not start with the magic tag (those are the "magic-random" family).</summary>
    private byte[] NextRandomFrame(int max)
    {
        var bytes = NextBytes(Math.Max(1, NextLength(max)));
        if (bytes.AsSpan().StartsWith(Magic))
        {
            bytes[0] = 0;
        }

        return bytes;
    }

    private static byte[] Nested(byte header, int levels) => [.. Enumerable.Repeat(header, levels), 0x00];

    private static byte[] Frame(byte[][] items) => FrameWithHeader(Head(4, (ulong)items.Length), items);

    private static byte[] FrameWithHeader(byte[] header, byte[][] items) => Concat([Magic, header, .. items]);

    private static byte[][] With(byte[][] items, int index, byte[] value)
    {
        var copy = (byte[][])items.Clone();
        copy[index] = value;
        return copy;
    }

    private static byte[] Ttl(ulong start, ulong duration) => Concat(Head(4, 2), U(start), U(duration));

    private static byte[] Ranges((ulong From, ulong To)[] ranges) =>
        Concat([Head(4, (ulong)ranges.Length * 2), .. ranges.SelectMany(r => new[] { U(r.From), U(r.To) })]);

    private static byte[] U(ulong value) => Head(0, value);

    private static byte[] N(long value) => value >= 0 ? Head(0, (ulong)value) : Head(1, (ulong)(-1 - value));

    private static byte[] Txt(string text) => TxtRaw(Encoding.UTF8.GetBytes(text));

    private static byte[] TxtRaw(byte[] utf8) => Concat(Head(3, (ulong)utf8.Length), utf8);

    private static byte[] Bst(byte[] bytes) => Concat(Head(2, (ulong)bytes.Length), bytes);

    /// <summary>The head of a CBOR data item: major type and argument in the shortest form (RFC 8949 section 3).</summary>
    private static byte[] Head(int major, ulong argument)
    {
        var type = (byte)(major << 5);
        if (argument < 24)
        {
            return [(byte)(type | (byte)argument)];
        }

        if (argument <= byte.MaxValue)
        {
            return [(byte)(type | 24), (byte)argument];
        }

        if (argument <= ushort.MaxValue)
        {
            var head = new byte[3];
            head[0] = (byte)(type | 25);
            BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(1), (ushort)argument);
            return head;
        }

        if (argument <= uint.MaxValue)
        {
            var head = new byte[5];
            head[0] = (byte)(type | 26);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(1), (uint)argument);
            return head;
        }

        var longHead = new byte[9];
        longHead[0] = (byte)(type | 27);
        BinaryPrimitives.WriteUInt64BigEndian(longHead.AsSpan(1), argument);
        return longHead;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }

        return result;
    }
}

/// <summary>Encoding helpers of the corpus.</summary>
internal static class CodecExtensions
{
    public static byte[] EncodeToArray<T>(this ICodec<T> codec, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        codec.Encode(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
