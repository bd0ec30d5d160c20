namespace HydrateCache.TestKit;

/// <summary>One line of a <see cref="SampleOrder"/>: a positional record, decoded through its constructor.</summary>
public sealed record SampleOrderLine(string Sku, int Quantity, decimal UnitPrice);
