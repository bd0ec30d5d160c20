using System.Text;

namespace HydrateCache.Codec.Cbor;

/// <summary>C#-like type names for error messages: <c>List&lt;Price&gt;</c> or <c>System.Collections.Generic.List&lt;Shop.Price&gt;</c>.</summary>
internal static class CborTypeNames
{
    public static string Short(Type type) => Format(type, full: false);

    public static string Full(Type type) => Format(type, full: true);

    private static string Format(Type type, bool full)
    {
        if (type.IsArray)
        {
            return Format(type.GetElementType()!, full) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (type.IsPointer)
        {
            return Format(type.GetElementType()!, full) + "*";
        }

        if (type.IsByRef)
        {
            return Format(type.GetElementType()!, full) + "&";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Format(underlying, full) + "?";
        }

        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        var name = full ? (definition.FullName ?? definition.Name) : definition.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        name = name.Replace('+', '.');
        if (!type.IsGenericType)
        {
            return name;
        }

        var builder = new StringBuilder(name).Append('<');
        var arguments = type.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(Format(arguments[i], full));
        }

        return builder.Append('>').ToString();
    }
}
