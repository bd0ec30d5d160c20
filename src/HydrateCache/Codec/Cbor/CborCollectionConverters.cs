using System.Formats.Cbor;

namespace HydrateCache.Codec.Cbor;

/// <summary>Writes the elements of any sequence as a definite-length CBOR array.</summary>
internal static class CborSequence
{
    public static void Write<TElement>(CborWriter writer, IEnumerable<TElement> value, CborConverter<TElement> element, int maxDepth)
    {
        if (writer.CurrentDepth >= maxDepth)
        {
            CborThrow.DepthExceeded(maxDepth);
        }

        var index = 0;
        try
        {
            switch (value)
            {
                case List<TElement> list:
                    writer.WriteStartArray(list.Count);
                    for (; index < list.Count; index++)
                    {
                        element.Write(writer, list[index]);
                    }

                    break;
                case TElement[] array:
                    writer.WriteStartArray(array.Length);
                    for (; index < array.Length; index++)
                    {
                        element.Write(writer, array[index]);
                    }

                    break;
                case HashSet<TElement> set:
                    writer.WriteStartArray(set.Count);
                    foreach (var item in set)
                    {
                        element.Write(writer, item);
                        index++;
                    }

                    break;
                case ICollection<TElement> collection:
                    WriteItems(writer, collection, collection.Count, element, ref index);
                    break;
                case IReadOnlyCollection<TElement> collection:
                    WriteItems(writer, collection, collection.Count, element, ref index);
                    break;
                default:
                    var buffered = new List<TElement>(value);
                    WriteItems(writer, buffered, buffered.Count, element, ref index);
                    break;
            }

            writer.WriteEndArray();
        }
        catch (Exception ex)
        {
            throw CborPathException.WithIndex(ex, index, dictionary: false);
        }
    }

    private static void WriteItems<TElement>(
        CborWriter writer, IEnumerable<TElement> items, int count, CborConverter<TElement> element, ref int index)
    {
        writer.WriteStartArray(count);
        foreach (var item in items)
        {
            element.Write(writer, item);
            index++;
        }
    }
}

/// <summary><c>T[]</c> as a CBOR array.</summary>
internal sealed class CborArrayConverter<TElement> : CborConverter<TElement[]?>
{
    private readonly CborConverter<TElement> _element;
    private readonly int _maxDepth;

    public CborArrayConverter(CborConverter<TElement> element, int maxDepth)
    {
        _element = element;
        _maxDepth = maxDepth;
    }

    public override void Write(CborWriter writer, TElement[]? value)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        CborSequence.Write(writer, value, _element, _maxDepth);
    }

    public override TElement[]? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        // The reader has already checked that a definite length fits in the remaining input.
        var length = reader.ReadStartArray();
        var index = 0;
        try
        {
            if (length is { } count)
            {
                var array = count == 0 ? [] : new TElement[count];
                for (; index < count; index++)
                {
                    array[index] = _element.Read(reader);
                }

                reader.ReadEndArray();
                return array;
            }

            var list = new List<TElement>();
            while (reader.PeekState() != CborReaderState.EndArray)
            {
                list.Add(_element.Read(reader));
                index++;
            }

            reader.ReadEndArray();
            return list.ToArray();
        }
        catch (Exception ex)
        {
            throw CborPathException.WithIndex(ex, index, dictionary: false);
        }
    }
}

/// <summary>
/// An enumerable written as a CBOR array and read back into the collection that <see cref="Create"/> makes.
/// </summary>
internal abstract class CborCollectionConverter<TCollection, TElement> : CborConverter<TCollection?>
    where TCollection : class, IEnumerable<TElement>
{
    private readonly CborConverter<TElement> _element;
    private readonly int _maxDepth;

    protected CborCollectionConverter(CborConverter<TElement> element, int maxDepth)
    {
        _element = element;
        _maxDepth = maxDepth;
    }

    public override void Write(CborWriter writer, TCollection? value)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        CborSequence.Write(writer, value, _element, _maxDepth);
    }

    public override TCollection? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        var length = reader.ReadStartArray();
        var collection = Create(length ?? 0);
        var index = 0;
        try
        {
            while (reader.PeekState() != CborReaderState.EndArray)
            {
                collection.Add(_element.Read(reader));
                index++;
            }

            reader.ReadEndArray();
        }
        catch (Exception ex)
        {
            throw CborPathException.WithIndex(ex, index, dictionary: false);
        }

        return (TCollection)collection;
    }

    /// <summary>Creates the collection a decoded array fills; it must be assignable to <typeparamref name="TCollection"/>.</summary>
    protected abstract ICollection<TElement> Create(int capacity);
}

/// <summary>
/// <see cref="List{T}"/> and the list-like interfaces (<c>IList</c>, <c>ICollection</c>, <c>IEnumerable</c>,
/// <c>IReadOnlyList</c>, <c>IReadOnlyCollection</c>) as a CBOR array; decodes to a <see cref="List{T}"/>.
/// </summary>
internal sealed class CborListConverter<TCollection, TElement>(CborConverter<TElement> element, int maxDepth)
    : CborCollectionConverter<TCollection, TElement>(element, maxDepth)
    where TCollection : class, IEnumerable<TElement>
{
    protected override ICollection<TElement> Create(int capacity) => new List<TElement>(capacity);
}

/// <summary>
/// <see cref="HashSet{T}"/>, <c>ISet</c> and <c>IReadOnlySet</c> as a CBOR array; decodes to a <see cref="HashSet{T}"/>
/// with the default comparer (duplicates collapse).
/// </summary>
internal sealed class CborHashSetConverter<TCollection, TElement>(CborConverter<TElement> element, int maxDepth)
    : CborCollectionConverter<TCollection, TElement>(element, maxDepth)
    where TCollection : class, IEnumerable<TElement>
{
    protected override ICollection<TElement> Create(int capacity) => new HashSet<TElement>(capacity);
}

/// <summary>
/// String-keyed dictionaries (<see cref="Dictionary{TKey, TValue}"/>, <c>IDictionary</c>, <c>IReadOnlyDictionary</c>)
/// as a CBOR map with text keys, in enumeration order; decodes to a <see cref="Dictionary{TKey, TValue}"/> with the
/// ordinal comparer. A key that appears twice keeps its last value.
/// </summary>
internal sealed class CborDictionaryConverter<TDictionary, TValue> : CborConverter<TDictionary?>
    where TDictionary : class, IEnumerable<KeyValuePair<string, TValue>>
{
    private readonly CborConverter<TValue> _value;
    private readonly int _maxDepth;

    public CborDictionaryConverter(CborConverter<TValue> value, int maxDepth)
    {
        _value = value;
        _maxDepth = maxDepth;
    }

    public override void Write(CborWriter writer, TDictionary? value)
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

        var index = 0;
        try
        {
            switch (value)
            {
                case Dictionary<string, TValue> dictionary:
                    writer.WriteStartMap(dictionary.Count);
                    foreach (var entry in dictionary)
                    {
                        WriteEntry(writer, entry);
                        index++;
                    }

                    break;
                case ICollection<KeyValuePair<string, TValue>> collection:
                    WriteEntries(writer, collection, collection.Count, ref index);
                    break;
                case IReadOnlyCollection<KeyValuePair<string, TValue>> collection:
                    WriteEntries(writer, collection, collection.Count, ref index);
                    break;
                default:
                    var buffered = new List<KeyValuePair<string, TValue>>(value);
                    WriteEntries(writer, buffered, buffered.Count, ref index);
                    break;
            }

            writer.WriteEndMap();
        }
        catch (Exception ex)
        {
            throw CborPathException.WithIndex(ex, index, dictionary: true);
        }
    }

    public override TDictionary? Read(CborReader reader)
    {
        if (reader.PeekState() == CborReaderState.Null)
        {
            reader.ReadNull();
            return null;
        }

        var length = reader.ReadStartMap();
        var dictionary = new Dictionary<string, TValue>(length ?? 0, StringComparer.Ordinal);
        var index = 0;
        try
        {
            while (reader.PeekState() != CborReaderState.EndMap)
            {
                var state = reader.PeekState();
                if (state != CborReaderState.TextString && state != CborReaderState.StartIndefiniteLengthTextString)
                {
                    CborThrow.UnexpectedItem(state, "a text string dictionary key");
                }

                var key = reader.ReadTextString();
                dictionary[key] = _value.Read(reader);
                index++;
            }

            reader.ReadEndMap();
        }
        catch (Exception ex)
        {
            throw CborPathException.WithIndex(ex, index, dictionary: true);
        }

        return (TDictionary)(object)dictionary;
    }

    private void WriteEntries(
        CborWriter writer, IEnumerable<KeyValuePair<string, TValue>> entries, int count, ref int index)
    {
        writer.WriteStartMap(count);
        foreach (var entry in entries)
        {
            WriteEntry(writer, entry);
            index++;
        }
    }

    private void WriteEntry(CborWriter writer, KeyValuePair<string, TValue> entry)
    {
        if (entry.Key is null)
        {
            CborThrow.Invalid("A dictionary key is null.");
        }

        CborText.Write(writer, entry.Key);
        _value.Write(writer, entry.Value);
    }
}
