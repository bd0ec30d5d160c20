using System.Formats.Cbor;
using System.Text;

namespace HydrateCache.Codec.Cbor;

/// <summary>
/// Maps the keys of an incoming CBOR map to member indexes of an object plan without allocating: integer keys are
/// compared as integers, definite-length text keys as UTF-8 bytes. The search starts after the previous match, so
/// members that arrive in the order the codec writes them are found with one comparison each.
/// </summary>
internal sealed class CborMemberTable
{
    private readonly int[] _intKeys;
    private readonly bool[] _hasIntKey;
    private readonly byte[]?[] _utf8Names;

    public CborMemberTable(IReadOnlyList<CborMemberPlan> members)
    {
        _intKeys = new int[members.Count];
        _hasIntKey = new bool[members.Count];
        _utf8Names = new byte[]?[members.Count];
        for (var i = 0; i < members.Count; i++)
        {
            if (members[i].IntKey is { } key)
            {
                _intKeys[i] = key;
                _hasIntKey[i] = true;
            }
            else
            {
                _utf8Names[i] = Encoding.UTF8.GetBytes(members[i].Name);
            }
        }
    }

    /// <summary>
    /// Reads one map key and returns the index of the member it names, or -1 for a key this type does not know
    /// (the caller then skips the value).
    /// </summary>
    public int ReadKey(CborReader reader, ref int hint)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
                {
                    var value = reader.ReadUInt64();
                    return value <= int.MaxValue ? FindInt((int)value, ref hint) : -1;
                }

            case CborReaderState.NegativeInteger:
                {
                    var argument = reader.ReadCborNegativeIntegerRepresentation();
                    return argument <= int.MaxValue ? FindInt(-1 - (int)argument, ref hint) : -1;
                }

            case CborReaderState.TextString:
                return FindText(reader.ReadDefiniteLengthTextStringBytes().Span, ref hint);
            case CborReaderState.StartIndefiniteLengthTextString:
                return FindText(Encoding.UTF8.GetBytes(reader.ReadTextString()), ref hint);
            default:
                reader.SkipValue();
                return -1;
        }
    }

    private int FindInt(int key, ref int hint)
    {
        var count = _intKeys.Length;
        for (var n = 0; n < count; n++)
        {
            var i = hint + n;
            if (i >= count)
            {
                i -= count;
            }

            if (_hasIntKey[i] && _intKeys[i] == key)
            {
                hint = i + 1 == count ? 0 : i + 1;
                return i;
            }
        }

        return -1;
    }

    private int FindText(ReadOnlySpan<byte> key, ref int hint)
    {
        var count = _utf8Names.Length;
        for (var n = 0; n < count; n++)
        {
            var i = hint + n;
            if (i >= count)
            {
                i -= count;
            }

            if (_utf8Names[i] is { } name && key.SequenceEqual(name))
            {
                hint = i + 1 == count ? 0 : i + 1;
                return i;
            }
        }

        return -1;
    }
}
