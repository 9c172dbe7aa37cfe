using Google.Protobuf;

namespace KvStore.Kvbench;

/// <summary>
/// Random values made before the run, so writes cost no allocation or random bytes in the loop.
/// Each is also wrapped once as a ByteString without copying, which is safe because nothing
/// writes to these arrays after they are made.
/// </summary>
internal sealed class ValuePool
{
    /// <summary>Enough distinct values that consecutive writes to a key rarely repeat one.</summary>
    public const int DefaultCount = 1024;

    private ValuePool(byte[][] bytes)
    {
        Bytes = bytes;
        Wrapped = new ByteString[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            Wrapped[i] = UnsafeByteOperations.UnsafeWrap(bytes[i]);
        }
    }

    public byte[][] Bytes { get; }

    public ByteString[] Wrapped { get; }

    public int Count => Bytes.Length;

    /// <summary>The same seed and sizes always give the same values, so a run's writes can be checked afterwards.</summary>
    public static ValuePool Create(long seed, int valueSize, int count = DefaultCount)
    {
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32) ^ 0x5EED));
        var bytes = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            bytes[i] = new byte[valueSize];
            random.NextBytes(bytes[i]);
        }

        return new ValuePool(bytes);
    }
}
