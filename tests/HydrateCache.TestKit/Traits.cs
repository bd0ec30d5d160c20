using Xunit.v3;

namespace HydrateCache.TestKit;

/// <summary>The suite a test class belongs to: "BVT" for fast unit tests, "Functional" for multi-component tests.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestSuiteAttribute(string suite) : Attribute, ITraitAttribute
{
    public string Suite { get; } = suite;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new("TestSuite", Suite)];
}

/// <summary>The server a test class needs: "None", "Redis", "NATS", "Postgres" or "Kafka".</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestProviderAttribute(string provider) : Attribute, ITraitAttribute
{
    public string Provider { get; } = provider;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new("TestProvider", Provider)];
}

/// <summary>The area of the library a test class covers, for example "Codec", "Envelope", "Cache", "Orleans".</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class TestAreaAttribute(string area) : Attribute, ITraitAttribute
{
    public string Area { get; } = area;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new("TestArea", Area)];
}
