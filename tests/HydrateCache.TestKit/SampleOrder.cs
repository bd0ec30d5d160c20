namespace HydrateCache.TestKit;

#pragma warning disable CA1819, CA2227 // A realistic wire model: a byte array and settable collections are deliberate.

/// <summary>
/// A realistic cached value for hostile-input and property tests: text, integers, a decimal, a timestamp with offset,
/// a GUID, a nested list of records, a string-keyed map, bytes and a nullable member. Equality is structural (the
/// collections by content, the timestamp with its offset), so a decoded value equals the encoded one exactly
/// (a decimal by value and scale). Members decoded from CBOR null may be null despite their annotations.
/// </summary>
public sealed record SampleOrder
{
    public string Id { get; init; } = string.Empty;

    public int Quantity { get; init; }

    public decimal Price { get; init; }

    public double Weight { get; init; }

    public DateTimeOffset PlacedAt { get; init; }

    public Guid Customer { get; init; }

    public List<SampleOrderLine> Lines { get; init; } = [];

    public Dictionary<string, long> Counters { get; init; } = [];

    public byte[] Blob { get; init; } = [];

    public string? Note { get; init; }

    public bool Equals(SampleOrder? other) =>
        other is not null
        && Id == other.Id
        && Quantity == other.Quantity
        && Price == other.Price
        && Price.Scale == other.Price.Scale
        && Weight.Equals(other.Weight)
        && PlacedAt.EqualsExact(other.PlacedAt)
        && Customer == other.Customer
        && (Lines is null ? other.Lines is null : other.Lines is not null && Lines.SequenceEqual(other.Lines))
        && (Counters is null ? other.Counters is null : other.Counters is not null && Counters.Count == other.Counters.Count
            && Counters.All(pair => other.Counters.TryGetValue(pair.Key, out var value) && value == pair.Value))
        && (Blob is null ? other.Blob is null : other.Blob is not null && Blob.AsSpan().SequenceEqual(other.Blob))
        && Note == other.Note;

    public override int GetHashCode() => HashCode.Combine(Id, Quantity, Customer, Lines?.Count, Counters?.Count, Blob?.Length);
}
