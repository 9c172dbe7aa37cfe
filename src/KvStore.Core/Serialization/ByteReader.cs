using System.Buffers.Binary;

namespace KvStore.Core.Serialization;

/// <summary>Reads what <see cref="ByteWriter"/> wrote, checking every length against the bytes left.</summary>
internal ref struct ByteReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte ReadByte()
    {
        if (_position >= _data.Length)
        {
            throw Truncated();
        }

        return _data[_position++];
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1)
            {
                throw new MalformedDataException("varint overflows 64 bits");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                // Canonical form only: a trailing zero group would give the same value two encodings.
                if (b == 0 && shift > 0)
                {
                    throw new MalformedDataException("varint is not minimally encoded");
                }

                return result;
            }
        }

        throw new MalformedDataException("varint is longer than 10 bytes");
    }

    /// <summary>A count or length that must not exceed <paramref name="max"/>.</summary>
    public int ReadLength(int max, string what)
    {
        var n = ReadVarint();
        if (n > (ulong)max)
        {
            throw new MalformedDataException($"{what} is {n}; at most {max} allowed");
        }

        return (int)n;
    }

    public ulong ReadUInt64()
    {
        if (_data.Length - _position < 8)
        {
            throw Truncated();
        }

        var v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes(int max, string what)
    {
        var n = ReadLength(max, what + " length");
        if (_data.Length - _position < n)
        {
            throw Truncated();
        }

        var s = _data.Slice(_position, n);
        _position += n;
        return s;
    }

    public string ReadString(int max, string what)
    {
        var bytes = ReadBytes(max, what);
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            throw new MalformedDataException($"{what} is not valid UTF-8");
        }
    }

    public readonly void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw new MalformedDataException($"{_data.Length - _position} unexpected trailing bytes");
        }
    }

    private static MalformedDataException Truncated() => new("data ends early");
}
