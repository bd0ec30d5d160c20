using System.Text.Json.Serialization;

namespace HydrateCache.Benchmarks;

/// <summary>System.Text.Json's source-generated metadata for the codec comparison (the fastest System.Text.Json path).</summary>
[JsonSerializable(typeof(Quote))]
internal sealed partial class CodecJsonContext : JsonSerializerContext;
