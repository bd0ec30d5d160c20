using System.Reflection;
using HydrateCache.TestKit;

namespace HydrateCache.Tests.Codec;

[TestSuite("BVT"), TestProvider("None"), TestArea("Codec")]
public class CborCodecUnsupportedTypeTests
{
    [Theory]
    [InlineData(typeof(BadOrder), "member 'BadOrder.Lines[].Meta' of type 'System.Object'")]
    [InlineData(typeof(HasInterface), "member 'HasInterface.Comparable' of type 'System.IComparable'")]
    [InlineData(typeof(HasIntKeyedDictionary), "member 'HasIntKeyedDictionary.ByNumber' of type 'System.Collections.Generic.Dictionary<System.Int32, System.String>'")]
    [InlineData(typeof(HasDelegate), "member 'HasDelegate.Callback' of type 'System.Action'")]
    [InlineData(typeof(HasAbstract), "member 'HasAbstract.Shape' of type 'HydrateCache.Tests.Codec.AbstractShape'")]
    [InlineData(typeof(HasMultiDimensional), "member 'HasMultiDimensional.Grid' of type 'System.Int32[,]'")]
    [InlineData(typeof(HasUri), "member 'HasUri.Link' of type 'System.Uri'")]
    [InlineData(typeof(HasNestedBadDictionaryValue), "member 'HasNestedBadDictionaryValue.Bag{}[]' of type 'System.Object'")]
    [InlineData(typeof(HasCustomCollection), "member 'HasCustomCollection.Items' of type 'System.Collections.ObjectModel.Collection<System.Int32>'")]
    [InlineData(typeof(RecursiveBad), "member 'RecursiveBad.Payload' of type 'System.Object'")]
    [InlineData(typeof(HasNoUsableConstructor), "type 'HydrateCache.Tests.Codec.HasNoUsableConstructor' is not supported: it has no usable constructor")]
    [InlineData(typeof(HasDuplicateKeys), "members 'Alpha' and 'Beta' both use [CborKey(1)]")]
    [InlineData(typeof(HasReadOnlyKeyed), "member 'Computed' has [CborKey] but is read-only")]
    [InlineData(typeof(HasAmbiguousConstructors), "mark one with [CborConstructor]")]
    [InlineData(typeof(object), "type 'System.Object' is not supported")]
    [InlineData(typeof(IComparable), "type 'System.IComparable' is not supported")]
    [InlineData(typeof(Dictionary<Guid, int>), "keys must be System.String")]
    [InlineData(typeof(List<Action>), "member 'List<Action>[]' of type 'System.Action'")]
    [InlineData(typeof(nint), "type 'System.IntPtr' is not supported")]
    [InlineData(typeof(KeyValuePair<string, int>), "is not supported")]
    [InlineData(typeof(Type), "type 'System.Type' is not supported")]
    public void Constructor_UnsupportedType_ThrowsHydrateCodecExceptionNamingTypeAndMember(Type type, string expected)
    {
        var ex = Assert.Throws<HydrateCodecException>(() => CreateCodec(type));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("CborCodec<", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BadNestedMember_MessageNamesCodecTypeAndPath()
    {
        var ex = Assert.Throws<HydrateCodecException>(() => new CborCodec<BadOrder>());

        Assert.Equal(
            "CborCodec<BadOrder>: member 'BadOrder.Lines[].Meta' of type 'System.Object' is not supported: "
            + "System.Object (and dynamic) carries no schema; use a concrete type.",
            ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(CborCodecOptions.MaxDepthLimit + 1)]
    public void Constructor_MaxDepthOutOfRange_ThrowsArgumentOutOfRange(int maxDepth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CborCodec<int>(new CborCodecOptions { MaxDepth = maxDepth }));
    }

    [Fact]
    public void Constructor_CanonicalConformanceMode_ThrowsArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new CborCodec<int>(new CborCodecOptions { ConformanceMode = System.Formats.Cbor.CborConformanceMode.Canonical }));
    }

    [Fact]
    public void Constructor_NullOptions_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new CborCodec<int>(null!));
    }

    private static object CreateCodec(Type type)
    {
        try
        {
            return Activator.CreateInstance(typeof(CborCodec<>).MakeGenericType(type))!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
