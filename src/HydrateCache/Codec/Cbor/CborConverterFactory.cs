using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;

namespace HydrateCache.Codec.Cbor;

/// <summary>
/// Builds the converters of one codec instance, once, when the codec is constructed. This is the only place that uses
/// reflection; an unsupported type anywhere in the graph throws <see cref="HydrateCodecException"/> naming the member path.
/// </summary>
internal sealed partial class CborConverterFactory
{
    private readonly Dictionary<Type, CborConverter> _converters = [];
    private readonly int _maxDepth;
    private readonly string _codecName;
    private readonly string _rootPath;

    public CborConverterFactory(Type rootType, int maxDepth)
    {
        _maxDepth = maxDepth;
        _rootPath = CborTypeNames.Short(rootType);
        _codecName = $"CborCodec<{_rootPath}>";

        CborConverter[] scalars =
        [
            new CborBooleanConverter(), new CborSByteConverter(), new CborByteConverter(), new CborInt16Converter(),
            new CborUInt16Converter(), new CborInt32Converter(), new CborUInt32Converter(), new CborInt64Converter(),
            new CborUInt64Converter(), new CborInt128Converter(), new CborUInt128Converter(), new CborHalfConverter(),
            new CborSingleConverter(), new CborDoubleConverter(), new CborDecimalConverter(), new CborCharConverter(),
            new CborStringConverter(), new CborByteArrayConverter(), new CborReadOnlyMemoryConverter(), new CborMemoryConverter(),
            new CborGuidConverter(), new CborDateTimeConverter(), new CborDateTimeOffsetConverter(), new CborTimeSpanConverter(),
            new CborDateOnlyConverter(), new CborTimeOnlyConverter(),
        ];
        foreach (var scalar in scalars)
        {
            _converters.Add(scalar.Type, scalar);
        }
    }

    /// <summary>Gets the root path used in error messages, for example <c>Order</c>.</summary>
    public string RootPath => _rootPath;

    /// <summary>Gets the codec name used in error messages, for example <c>CborCodec&lt;Order&gt;</c>.</summary>
    public string CodecName => _codecName;

    /// <summary>Returns the converter of <paramref name="type"/>, building it (and everything it contains) if needed.</summary>
    /// <param name="type">The type to convert.</param>
    /// <param name="path">Where the type was found, for error messages: <c>Order.Lines[].Meta</c>.</param>
    public CborConverter GetConverter(Type type, string path)
    {
        if (_converters.TryGetValue(type, out var existing))
        {
            return existing;
        }

        var converter = Create(type, path);
        _converters[type] = converter;
        return converter;
    }

    private CborConverter Create(Type type, string path)
    {
        if (type.IsEnum)
        {
            var underlying = Enum.GetUnderlyingType(type);
            return Instantiate(typeof(CborEnumConverter<,>), [type, underlying], GetConverter(underlying, path));
        }

        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return Instantiate(typeof(CborNullableConverter<>), [inner], GetConverter(inner, path));
        }

        if (type.IsSZArray)
        {
            var element = type.GetElementType()!;
            return Instantiate(typeof(CborArrayConverter<>), [element], GetConverter(element, path + "[]"), _maxDepth);
        }

        if (type.IsGenericType && !type.ContainsGenericParameters)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IReadOnlyCollection<>))
            {
                return Instantiate(
                    typeof(CborListConverter<,>), [type, arguments[0]], GetConverter(arguments[0], path + "[]"), _maxDepth);
            }

            if (definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                return Instantiate(
                    typeof(CborHashSetConverter<,>), [type, arguments[0]], GetConverter(arguments[0], path + "[]"), _maxDepth);
            }

            if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                if (arguments[0] != typeof(string))
                {
                    throw Unsupported(type, path, "dictionary keys must be System.String, because the CBOR map is written with text keys");
                }

                return Instantiate(
                    typeof(CborDictionaryConverter<,>), [type, arguments[1]], GetConverter(arguments[1], path + "{}"), _maxDepth);
            }
        }

        if (RejectionReason(type) is { } reason)
        {
            throw Unsupported(type, path, reason);
        }

        return CreateObject(type, path);
    }

    private static string? RejectionReason(Type type)
    {
        if (type.IsPointer || type.IsFunctionPointer || type.IsUnmanagedFunctionPointer)
        {
            return "pointers are not supported";
        }

        if (type.IsByRef || type.IsByRefLike)
        {
            return "by-ref and ref struct types cannot be stored in a cached value";
        }

        if (type.ContainsGenericParameters)
        {
            return "open generic types are not supported";
        }

        if (type.IsArray)
        {
            return "multi-dimensional arrays are not supported; use T[] or List<T>";
        }

        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return "delegates are not data";
        }

        if (type == typeof(object))
        {
            return "System.Object (and dynamic) carries no schema; use a concrete type";
        }

        if (type.IsInterface)
        {
            return "interfaces are not supported, apart from IEnumerable<T>, ICollection<T>, IList<T>, IReadOnlyCollection<T>, "
                + "IReadOnlyList<T>, ISet<T>, IReadOnlySet<T>, IDictionary<string, V> and IReadOnlyDictionary<string, V>";
        }

        if (type.IsAbstract)
        {
            return "abstract types are not supported, because the codec writes no type information (no polymorphism)";
        }

        if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            return "this collection type is not supported; use T[], List<T>, HashSet<T>, Dictionary<string, V> or one of their interfaces";
        }

        var ns = type.Namespace ?? string.Empty;
        if (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal) || ns.StartsWith("Microsoft.", StringComparison.Ordinal))
        {
            return "this framework type has no CBOR mapping (see the CborCodec<T> documentation for the supported types)";
        }

        return null;
    }

    private static CborConverter Instantiate(Type definition, Type[] arguments, params object[] constructorArguments)
    {
        var type = definition.MakeGenericType(arguments);
        return (CborConverter)Activator.CreateInstance(type, constructorArguments)!;
    }

    private HydrateCodecException Unsupported(Type type, string path, string reason)
    {
        var subject = path == _rootPath ? "type" : $"member '{path}' of type";
        return new HydrateCodecException(
            string.Create(CultureInfo.InvariantCulture, $"{_codecName}: {subject} '{CborTypeNames.Full(type)}' is not supported: {reason}."));
    }

    private static Expression DefaultArgument(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (!parameter.HasDefaultValue || parameter.DefaultValue is null or DBNull or Missing)
        {
            return Expression.Default(type);
        }

        var value = parameter.DefaultValue;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target.IsEnum && value.GetType() != target)
            {
                value = Enum.ToObject(target, value);
            }
            else if (value.GetType() != target)
            {
                value = Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            return Expression.Default(type);
        }

        Expression constant = Expression.Constant(value, target);
        return target == type ? constant : Expression.Convert(constant, type);
    }
}
