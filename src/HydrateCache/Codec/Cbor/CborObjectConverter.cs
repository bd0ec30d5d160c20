using System.Formats.Cbor;
using System.Linq.Expressions;
using System.Reflection;

namespace HydrateCache.Codec.Cbor;

/// <summary>The compiled writer of one object type; <paramref name="member"/> tracks the member being written, for error paths.</summary>
internal delegate void CborObjectWriter<T>(CborWriter writer, ref T value, ref int member);

/// <summary>The compiled reader of one object type; <paramref name="member"/> tracks the member being read, for error paths.</summary>
internal delegate T CborObjectReader<T>(CborReader reader, ref int member);

/// <summary>Lets the factory initialize an object converter without knowing its type argument.</summary>
internal interface ICborObjectConverter
{
    void Initialize(CborObjectPlan plan);
}

/// <summary>
/// A class, record or struct as a CBOR map. The converter is registered before its members are resolved, so
/// self-referential types work; <see cref="Initialize"/> then compiles a writer and a reader with expression trees.
/// The compiled code calls each member's typed converter directly, so value-type members are never boxed.
/// </summary>
internal sealed class CborObjectConverter<T> : CborConverter<T>, ICborObjectConverter
{
    private readonly int _maxDepth;
    private string[] _memberNames = [];
    private CborObjectWriter<T>? _writer;
    private CborObjectReader<T>? _reader;

    public CborObjectConverter(int maxDepth)
    {
        _maxDepth = maxDepth;
    }

    public override void Write(CborWriter writer, T value)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        if (writer.CurrentDepth >= _maxDepth)
        {
            CborThrow.DepthExceeded(_maxDepth);
        }

        var member = -1;
        try
        {
            _writer!(writer, ref value, ref member);
        }
        catch (Exception ex)
        {
            throw CborPathException.WithMember(ex, member >= 0 ? _memberNames[member] : null);
        }
    }

    public override T Read(CborReader reader)
    {
        if (!typeof(T).IsValueType && reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return default!;
        }

        var member = -1;
        try
        {
            return _reader!(reader, ref member);
        }
        catch (Exception ex)
        {
            throw CborPathException.WithMember(ex, member >= 0 ? _memberNames[member] : null);
        }
    }

    public void Initialize(CborObjectPlan plan)
    {
        _memberNames = plan.Members.Select(m => m.Name).ToArray();
        _writer = CompileWriter(plan);
        _reader = CompileReader(plan);
    }

    private static CborObjectWriter<T> CompileWriter(CborObjectPlan plan)
    {
        var writer = Expression.Parameter(typeof(CborWriter), "writer");
        var value = Expression.Parameter(typeof(T).MakeByRefType(), "value");
        var member = Expression.Parameter(typeof(int).MakeByRefType(), "member");

        var body = new List<Expression>
        {
            Expression.Call(writer, CborMethods.WriteStartMapMethod, Expression.Constant(plan.Members.Count, typeof(int?))),
        };

        for (var i = 0; i < plan.Members.Count; i++)
        {
            var m = plan.Members[i];
            body.Add(Expression.Assign(member, Expression.Constant(i)));
            body.Add(m.IntKey is { } key
                ? Expression.Call(writer, CborMethods.WriteInt32Method, Expression.Constant(key))
                : Expression.Call(CborMethods.WriteTextMethod, writer, Expression.Constant(m.Name)));

            var converter = ConverterConstant(m, out var converterType);
            body.Add(Expression.Call(
                converter,
                converterType.GetMethod(nameof(CborConverter<int>.Write))!,
                writer,
                MemberAccess(value, m.Member)));
        }

        body.Add(Expression.Assign(member, Expression.Constant(-1)));
        body.Add(Expression.Call(writer, CborMethods.WriteEndMapMethod));

        return Expression.Lambda<CborObjectWriter<T>>(Expression.Block(typeof(void), body), writer, value, member).Compile();
    }

    private static CborObjectReader<T> CompileReader(CborObjectPlan plan)
    {
        var reader = Expression.Parameter(typeof(CborReader), "reader");
        var member = Expression.Parameter(typeof(int).MakeByRefType(), "member");
        var hint = Expression.Variable(typeof(int), "hint");
        var index = Expression.Variable(typeof(int), "index");
        var result = Expression.Variable(typeof(T), "result");
        var table = Expression.Constant(new CborMemberTable(plan.Members));

        var count = plan.Members.Count;
        var values = new ParameterExpression[count];
        var seen = new ParameterExpression?[count];
        var variables = new List<ParameterExpression> { hint, index, result };
        var body = new List<Expression>();
        var cases = new List<SwitchCase>();

        for (var i = 0; i < count; i++)
        {
            var m = plan.Members[i];
            values[i] = Expression.Variable(m.Type, "v" + i);
            variables.Add(values[i]);
            if (m.ConstructorParameter >= 0)
            {
                // A member missing from the payload passes the parameter's default to the constructor.
                body.Add(Expression.Assign(values[i], plan.Arguments[m.ConstructorParameter]));
            }
            else
            {
                // A member missing from the payload keeps what the constructor or initializer put there.
                seen[i] = Expression.Variable(typeof(bool), "s" + i);
                variables.Add(seen[i]!);
            }

            var converter = ConverterConstant(m, out var converterType);
            var read = Expression.Assign(
                values[i],
                Expression.Call(converter, converterType.GetMethod(nameof(CborConverter<int>.Read))!, reader));
            cases.Add(Expression.SwitchCase(
                seen[i] is { } flag
                    ? Expression.Block(typeof(void), read, Expression.Assign(flag, Expression.Constant(true)))
                    : Expression.Block(typeof(void), read),
                Expression.Constant(i)));
        }

        var endLoop = Expression.Label("endLoop");
        body.Add(Expression.Call(reader, CborMethods.ReadStartMapMethod));
        body.Add(Expression.Loop(
            Expression.Block(
                Expression.IfThen(
                    Expression.Equal(Expression.Call(reader, CborMethods.PeekStateMethod), Expression.Constant(CborReaderState.EndMap)),
                    Expression.Break(endLoop)),
                Expression.Assign(member, Expression.Constant(-1)),
                Expression.Assign(index, Expression.Call(table, CborMethods.ReadKeyMethod, reader, hint)),
                Expression.Assign(member, index),
                Expression.Switch(
                    typeof(void),
                    index,
                    Expression.Call(reader, CborMethods.SkipValueMethod, Expression.Constant(false)),
                    null,
                    cases)),
            endLoop));
        body.Add(Expression.Call(reader, CborMethods.ReadEndMapMethod));
        body.Add(Expression.Assign(member, Expression.Constant(-1)));

        if (plan.Constructor is { } constructor)
        {
            var arguments = plan.Arguments.ToArray();
            for (var i = 0; i < count; i++)
            {
                if (plan.Members[i].ConstructorParameter >= 0)
                {
                    arguments[plan.Members[i].ConstructorParameter] = values[i];
                }
            }

            body.Add(Expression.Assign(result, Expression.New(constructor, arguments)));
        }
        else
        {
            body.Add(Expression.Assign(result, Expression.New(typeof(T))));
        }

        for (var i = 0; i < count; i++)
        {
            if (seen[i] is { } flag)
            {
                body.Add(Expression.IfThen(flag, Expression.Assign(MemberAccess(result, plan.Members[i].Member), values[i])));
            }
        }

        body.Add(result);
        return Expression.Lambda<CborObjectReader<T>>(Expression.Block(typeof(T), variables, body), reader, member).Compile();
    }

    private static ConstantExpression ConverterConstant(CborMemberPlan member, out Type converterType)
    {
        converterType = typeof(CborConverter<>).MakeGenericType(member.Type);
        return Expression.Constant(member.Converter, converterType);
    }

    private static MemberExpression MemberAccess(Expression instance, MemberInfo member)
    {
        if (member is PropertyInfo property)
        {
            return Expression.Property(instance, property);
        }

        return Expression.Field(instance, (FieldInfo)member);
    }
}

/// <summary>Reflection handles the compiled object readers and writers call; immutable and shared.</summary>
internal static class CborMethods
{
    public static readonly MethodInfo WriteStartMapMethod = typeof(CborWriter).GetMethod(nameof(CborWriter.WriteStartMap), [typeof(int?)])!;
    public static readonly MethodInfo WriteEndMapMethod = typeof(CborWriter).GetMethod(nameof(CborWriter.WriteEndMap), Type.EmptyTypes)!;
    public static readonly MethodInfo WriteInt32Method = typeof(CborWriter).GetMethod(nameof(CborWriter.WriteInt32), [typeof(int)])!;
    public static readonly MethodInfo WriteTextMethod = typeof(CborText).GetMethod(nameof(CborText.Write), [typeof(CborWriter), typeof(string)])!;
    public static readonly MethodInfo ReadStartMapMethod = typeof(CborReader).GetMethod(nameof(CborReader.ReadStartMap), Type.EmptyTypes)!;
    public static readonly MethodInfo ReadEndMapMethod = typeof(CborReader).GetMethod(nameof(CborReader.ReadEndMap), Type.EmptyTypes)!;
    public static readonly MethodInfo PeekStateMethod = typeof(CborReader).GetMethod(nameof(CborReader.PeekState), Type.EmptyTypes)!;
    public static readonly MethodInfo SkipValueMethod = typeof(CborReader).GetMethod(nameof(CborReader.SkipValue), [typeof(bool)])!;
    public static readonly MethodInfo ReadKeyMethod = typeof(CborMemberTable).GetMethod(nameof(CborMemberTable.ReadKey))!;
}
