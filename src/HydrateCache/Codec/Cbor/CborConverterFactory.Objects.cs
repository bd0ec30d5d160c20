using System.Globalization;
using System.Reflection;

namespace HydrateCache.Codec.Cbor;

/// <summary>Object plans: which members a class, record or struct has, their keys, and the constructor to call.</summary>
internal sealed partial class CborConverterFactory
{
    private CborConverter CreateObject(Type type, string path)
    {
        var converter = (CborConverter)Activator.CreateInstance(typeof(CborObjectConverter<>).MakeGenericType(type), _maxDepth)!;

        // Registered before the members are resolved, so a member of this type (directly or in a collection) gets this instance.
        _converters[type] = converter;
        var plan = BuildPlan(type, path);
        foreach (var member in plan.Members)
        {
            member.Converter = GetConverter(member.Type, path + "." + member.Name);
        }

        ((ICborObjectConverter)converter).Initialize(plan);
        return converter;
    }

    private CborObjectPlan BuildPlan(Type type, string path)
    {
        var candidates = CollectCandidates(type);
        var constructor = SelectConstructor(type, path, candidates, out var parameterMatches);
        var parameters = constructor?.GetParameters() ?? [];

        var intKeyed = new List<CborMemberPlan>();
        var textKeyed = new List<CborMemberPlan>();
        foreach (var candidate in candidates)
        {
            var parameter = Array.IndexOf(parameterMatches, candidate);
            if (candidate.Ignored)
            {
                continue;
            }

            if (!candidate.CanSet && parameter < 0)
            {
                if (candidate.Key is not null)
                {
                    throw Unsupported(
                        type,
                        path,
                        $"member '{candidate.Member.Name}' has [CborKey] but is read-only and no constructor parameter matches it");
                }

                // A get-only property that no constructor parameter sets is computed state; it is not part of the payload.
                continue;
            }

            var plan = new CborMemberPlan(candidate.Member, candidate.Type, candidate.Key) { ConstructorParameter = parameter };
            (candidate.Key is null ? textKeyed : intKeyed).Add(plan);
        }

        intKeyed.Sort((x, y) => x.IntKey!.Value.CompareTo(y.IntKey!.Value));
        for (var i = 1; i < intKeyed.Count; i++)
        {
            if (intKeyed[i].IntKey == intKeyed[i - 1].IntKey)
            {
                throw Unsupported(
                    type,
                    path,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"members '{intKeyed[i - 1].Name}' and '{intKeyed[i].Name}' both use [CborKey({intKeyed[i].IntKey})]"));
            }
        }

        var arguments = parameters.Select(DefaultArgument).ToArray();
        return new CborObjectPlan(type, [.. intKeyed, .. textKeyed], constructor, arguments);
    }

    /// <summary>
    /// Public instance properties with a public getter (no indexers) and public instance fields, base class members first,
    /// each class in declaration order; a member that hides or overrides an inherited one replaces it in place.
    /// </summary>
    private static List<Candidate> CollectCandidates(Type type)
    {
        var chain = new List<Type>();
        for (var current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            chain.Add(current);
        }

        chain.Reverse();
        var ordered = new List<Candidate>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (var level in chain)
        {
            foreach (var property in level.GetProperties(Flags).OrderBy(p => p.MetadataToken))
            {
                if (property.GetIndexParameters().Length == 0 && property.GetMethod is { IsPublic: true })
                {
                    Add(new Candidate(property, property.PropertyType, property.SetMethod is { IsPublic: true }));
                }
            }

            foreach (var field in level.GetFields(Flags).OrderBy(f => f.MetadataToken))
            {
                Add(new Candidate(field, field.FieldType, !field.IsInitOnly));
            }
        }

        return ordered;

        void Add(Candidate candidate)
        {
            if (positions.TryGetValue(candidate.Member.Name, out var position))
            {
                ordered[position] = candidate;
            }
            else
            {
                positions.Add(candidate.Member.Name, ordered.Count);
                ordered.Add(candidate);
            }
        }
    }

    /// <summary>
    /// The constructor marked [CborConstructor]; otherwise the public constructor with the most parameters among those
    /// whose every parameter matches a member; for a struct with no such constructor, its default constructor (null).
    /// </summary>
    private ConstructorInfo? SelectConstructor(Type type, string path, List<Candidate> candidates, out Candidate[] parameterMatches)
    {
        var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance);
        var marked = constructors.Where(c => c.IsDefined(typeof(CborConstructorAttribute), inherit: false)).ToArray();
        if (marked.Length > 1)
        {
            throw Unsupported(type, path, "more than one constructor is marked [CborConstructor]");
        }

        if (marked.Length == 1)
        {
            if (!TryMatchParameters(marked[0], candidates, out parameterMatches, out var unmatched))
            {
                throw Unsupported(
                    type,
                    path,
                    $"parameter '{unmatched}' of the [CborConstructor] constructor does not match a member (same name ignoring case, same type)");
            }

            return marked[0];
        }

        ConstructorInfo? best = null;
        var bestMatches = Array.Empty<Candidate>();
        var tie = false;
        foreach (var constructor in constructors.Where(c => c.IsPublic))
        {
            if (!TryMatchParameters(constructor, candidates, out var matches, out _))
            {
                continue;
            }

            if (best is null || matches.Length > bestMatches.Length)
            {
                best = constructor;
                bestMatches = matches;
                tie = false;
            }
            else if (matches.Length == bestMatches.Length)
            {
                tie = true;
            }
        }

        parameterMatches = bestMatches;
        if (best is null)
        {
            if (type.IsValueType)
            {
                return null;
            }

            throw Unsupported(
                type,
                path,
                "it has no usable constructor; add a public parameterless constructor, a public constructor whose parameters all "
                + "match members (same name ignoring case, same type), or mark one with [CborConstructor]");
        }

        if (tie)
        {
            throw Unsupported(
                type,
                path,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"several public constructors with {bestMatches.Length} parameters match its members; mark one with [CborConstructor]"));
        }

        return best;
    }

    private static bool TryMatchParameters(
        ConstructorInfo constructor, List<Candidate> candidates, out Candidate[] matches, out string? unmatched)
    {
        var parameters = constructor.GetParameters();
        matches = new Candidate[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = parameters[i];
            var match = parameter.Name is { Length: > 0 } name && !parameter.ParameterType.IsByRef
                ? FindCandidate(candidates, name, parameter.ParameterType)
                : null;
            if (match is null || Array.IndexOf(matches, match, 0, i) >= 0)
            {
                unmatched = parameter.Name ?? i.ToString(CultureInfo.InvariantCulture);
                return false;
            }

            matches[i] = match;
        }

        unmatched = null;
        return true;
    }

    private static Candidate? FindCandidate(List<Candidate> candidates, string name, Type type)
    {
        var exact = candidates.Find(c => c.Type == type && string.Equals(c.Member.Name, name, StringComparison.Ordinal));
        if (exact is not null)
        {
            return exact;
        }

        var ignoringCase = candidates.FindAll(c => c.Type == type && string.Equals(c.Member.Name, name, StringComparison.OrdinalIgnoreCase));
        return ignoringCase.Count == 1 ? ignoringCase[0] : null;
    }

    /// <summary>A public property or field that may become a member of the CBOR map.</summary>
    private sealed class Candidate
    {
        public Candidate(MemberInfo member, Type type, bool canSet)
        {
            Member = member;
            Type = type;
            CanSet = canSet;
            Ignored = Attribute.IsDefined(member, typeof(CborIgnoreAttribute), inherit: true);
            Key = (Attribute.GetCustomAttribute(member, typeof(CborKeyAttribute), inherit: true) as CborKeyAttribute)?.Key;
        }

        public MemberInfo Member { get; }

        public Type Type { get; }

        public bool CanSet { get; }

        public bool Ignored { get; }

        public int? Key { get; }
    }
}
