using System.Buffers;
using System.Buffers.Binary;

namespace KvStore.Core.Serialization;

/// <summary>Appends the primitives of the binary format: LEB128 varints, fixed little-endian words and length-prefixed bytes.</summary>
internal sealed class ByteWriter(int capacity = 256)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

    public void WriteByte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _buffer.Advance(n);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVarint((ulong)bytes.Length);
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
    }

    public void WriteString(string value)
    {
        var n = System.Text.Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)n);
        System.Text.Encoding.UTF8.GetBytes(value, _buffer.GetSpan(n));
        _buffer.Advance(n);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
