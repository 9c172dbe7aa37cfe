using BenchmarkDotNet.Attributes;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Benchmarks;

/// <summary>
/// The object codec, which runs on every stored write (encode) and every read of a stored or
/// received object (decode).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private KvObject _register = KvObject.Of(LwwRegister.Empty);
    private KvObject _set = KvObject.Of(OrSet.Empty);
    private byte[] _registerBytes = [];
    private byte[] _setBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _register = KvObject.Of(Fixtures.Register(valueBytes: 100));
        _set = KvObject.Of(Fixtures.Set(1_000));
        _registerBytes = ObjectCodec.Encode(_register);
        _setBytes = ObjectCodec.Encode(_set);
    }

    /// <summary>A register holding one 100-byte value.</summary>
    [Benchmark]
    public byte[] EncodeRegister100B() => ObjectCodec.Encode(_register);

    [Benchmark]
    public KvObject DecodeRegister100B() => ObjectCodec.Decode(_registerBytes);

    /// <summary>A set of 1,000 short members.</summary>
    [Benchmark]
    public byte[] EncodeSet1000() => ObjectCodec.Encode(_set);

    [Benchmark]
    public KvObject DecodeSet1000() => ObjectCodec.Decode(_setBytes);
}
