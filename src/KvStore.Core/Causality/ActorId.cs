namespace KvStore.Core.Causality;

/// <summary>
/// Identifies one incarnation of one replica's storage: the node id plus an epoch minted when the
/// node starts on an empty data directory.
/// </summary>
/// <remarks>
/// A node that lost its data must never reuse counters it may have handed out before, or a new
/// write can be taken as already seen and silently dropped (Riak's KV679 lost-write bug). A fresh
/// random 64-bit epoch per empty data directory makes the restarted node a new actor.
/// </remarks>
public readonly record struct ActorId(string Node, ulong Epoch) : IComparable<ActorId>
{
    /// <summary>Longest node id, in UTF-8 bytes.</summary>
    public const int MaxNodeIdBytes = 64;

    public int CompareTo(ActorId other)
    {
        var c = string.CompareOrdinal(Node, other.Node);
        return c != 0 ? c : Epoch.CompareTo(other.Epoch);
    }

    public override string ToString() => $"{Node}#{Epoch:x16}";

    /// <summary>
    /// Node ids are 1 to 64 characters of ASCII letters, digits, '.', '_', ':' and '-', so that they
    /// read the same in logs, JSON and file names.
    /// </summary>
    public static bool IsValidNodeId(string? node)
    {
        if (string.IsNullOrEmpty(node) || node.Length > MaxNodeIdBytes)
        {
            return false;
        }

        foreach (var ch in node)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool operator <(ActorId left, ActorId right) => left.CompareTo(right) < 0;
    public static bool operator >(ActorId left, ActorId right) => left.CompareTo(right) > 0;
    public static bool operator <=(ActorId left, ActorId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ActorId left, ActorId right) => left.CompareTo(right) >= 0;
}
