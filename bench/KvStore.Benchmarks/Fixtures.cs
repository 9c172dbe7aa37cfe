using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Benchmarks;

/// <summary>
/// The states the benchmarks work on, built through the public CRDT operations so that they have
/// the shape replicas really hold: clocks naming the N = 3 replicas of a key, dots minted by each.
/// </summary>
internal static class Fixtures
{
    /// <summary>The three replicas of a key under the default replication factor.</summary>
    public static ActorId[] Replicas { get; } =
    [
        new("node1", 0x1f2e3d4c5b6a7988),
        new("node2", 0x2a3b4c5d6e7f8091),
        new("node3", 0x3c4d5e6f708192a3),
    ];

    /// <summary>A fixed wall time, so that every run builds identical states.</summary>
    public const long WallMillis = 1_767_225_600_000;

    /// <summary>A value of <paramref name="length"/> bytes, the same on every run.</summary>
    public static byte[] Value(int length, byte seed = 1)
    {
        var value = new byte[length];
        for (var i = 0; i < value.Length; i++)
        {
            value[i] = (byte)(seed + i);
        }

        return value;
    }

    /// <summary>A set member as a client would send it: short UTF-8, sorting by its number.</summary>
    public static byte[] Element(int i) => Encoding.UTF8.GetBytes($"member-{i:D6}");

    /// <summary>
    /// A register that each replica has written in turn, ending with <paramref name="writes"/>
    /// writes: one sibling left, and a clock naming every replica.
    /// </summary>
    public static LwwRegister Register(int valueBytes, int writes = 3)
    {
        var register = LwwRegister.Empty;
        for (var i = 0; i < writes; i++)
        {
            register = register.Assign(Replicas[i % Replicas.Length], new HlcTimestamp(WallMillis + i, 0), Value(valueBytes), null);
        }

        return register;
    }

    /// <summary>
    /// A set of <paramref name="size"/> members added ten at a time, the replicas taking turns, so
    /// members carry dots of all three actors.
    /// </summary>
    public static OrSet Set(int size)
    {
        const int PerAdd = 10;
        var set = OrSet.Empty;
        for (var start = 0; start < size; start += PerAdd)
        {
            var count = Math.Min(PerAdd, size - start);
            var actor = Replicas[start / PerAdd % Replicas.Length];
            set = set.Add(actor, Enumerable.Range(start, count).Select(Element));
        }

        return set;
    }
}
