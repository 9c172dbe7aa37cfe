using System.Collections.ObjectModel;
using System.IO.Hashing;
using System.Text;

namespace KvStore.Core.Ring;

/// <summary>
/// Consistent hashing with virtual nodes (Karger et al. 1997; the placement of Amazon's Dynamo
/// paper, section 4.2): every node owns <see cref="TokensPerNode"/> points on a 64-bit circle, and a
/// key belongs to the nodes met first walking clockwise from the key's hash. Adding or removing a
/// node therefore moves only the keys next to that node's tokens, and many tokens per node even out
/// the share of the circle each node gets.
/// </summary>
/// <remarks>
/// Immutable: a membership change builds a new ring, which is swapped in whole. Every node computes
/// the same ring from the same member ids, because tokens are derived from the ids alone, so the
/// token scheme (XxHash64, seed 0, of UTF-8 "id#i") is part of the wire contract and must not change.
/// </remarks>
public sealed partial class HashRing
{
    /// <summary>
    /// Tokens per node unless told otherwise. A node's share of the circle deviates from the mean by
    /// about 1/sqrt(tokens), an eighth with 64 (within 1.25 times the mean for 5 to 10 nodes, 1.4
    /// for 100), while a ring of a hundred nodes is still only 6,400 tokens to search.
    /// </summary>
    public const int DefaultTokensPerNode = 64;

    /// <summary>
    /// Upper bound on tokens per node. More tokens buy smoother shares with diminishing returns and
    /// cost memory and ownership computations linearly; 4,096 is far past any useful setting.
    /// </summary>
    internal const int MaxTokensPerNode = 4096;

    /// <summary>Below this many wanted nodes, duplicates are found by scanning the ones collected so far.</summary>
    private const int LinearScanLimit = 8;

    /// <summary>The largest seen-set kept on the stack, in 64-bit words (16,384 nodes).</summary>
    private const int MaxStackWords = 256;

    private readonly string[] _nodes;
    private readonly ulong[] _tokens;
    private readonly int[] _owners;

    private HashRing(string[] nodes, ulong[] tokens, int[] owners, int tokensPerNode)
    {
        _nodes = nodes;
        _tokens = tokens;
        _owners = owners;
        TokensPerNode = tokensPerNode;
        Nodes = new ReadOnlyCollection<string>(nodes);
    }

    /// <summary>The ring without nodes: every key has an empty preference list.</summary>
    public static HashRing Empty { get; } = new([], [], [], DefaultTokensPerNode);

    public int TokensPerNode { get; }

    /// <summary>The distinct node ids, sorted ordinal.</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>Nodes × tokens per node.</summary>
    public int TokenCount => _tokens.Length;

    /// <summary>
    /// Builds the ring from node ids; duplicates are ignored. The tokens of node "n" are XxHash64
    /// (seed 0) of UTF-8 "n#i" for i in 0..<paramref name="tokensPerNode"/>-1. Should two tokens be
    /// equal, the one of the node id that sorts first (ordinal) comes first on the circle, so every
    /// node breaks the tie the same way.
    /// </summary>
    /// <exception cref="ArgumentException">A node id is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokensPerNode"/> is not in 1..4096.</exception>
    public static HashRing Build(IEnumerable<string> nodeIds, int tokensPerNode = DefaultTokensPerNode)
    {
        ArgumentNullException.ThrowIfNull(nodeIds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerNode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokensPerNode, MaxTokensPerNode);
        var distinct = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var id in nodeIds)
        {
            ArgumentException.ThrowIfNullOrEmpty(id, nameof(nodeIds));
            distinct.Add(id);
        }

        var nodes = distinct.ToArray();

        // Token in the high 64 bits, owner index in the low ones: one sort orders by token, then by
        // node id, since owner indices follow the ordinal order of the ids.
        var keys = new UInt128[nodes.Length * tokensPerNode];
        for (var owner = 0; owner < nodes.Length; owner++)
        {
            for (var i = 0; i < tokensPerNode; i++)
            {
                keys[(owner * tokensPerNode) + i] = ((UInt128)Token(nodes[owner], i) << 64) | (uint)owner;
            }
        }

        Array.Sort(keys);
        var tokens = new ulong[keys.Length];
        var owners = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tokens[i] = (ulong)(keys[i] >> 64);
            owners[i] = (int)(uint)keys[i];
        }

        return new HashRing(nodes, tokens, owners, tokensPerNode);
    }

    /// <summary>XxHash64 (seed 0) of the key: its position on the ring.</summary>
    public static ulong KeyHash(ReadOnlySpan<byte> key) => XxHash64.HashToUInt64(key);

    /// <summary>
    /// Every distinct node, clockwise from the key's hash (starting at the first token at or after
    /// it, wrapping past the top of the circle). The first N are the key's preference list; the rest
    /// are its fallbacks, in the order a sloppy quorum tries them.
    /// </summary>
    public IReadOnlyList<string> Walk(ReadOnlySpan<byte> key) => WalkAt(KeyHash(key));

    /// <summary>The first min(<paramref name="n"/>, node count) distinct nodes clockwise from the key's hash.</summary>
    /// <remarks>O(log T) to find the start, then one step per token until n distinct nodes are met.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is less than 1.</exception>
    public IReadOnlyList<string> PreferenceList(ReadOnlySpan<byte> key, int n) => PreferenceListAt(KeyHash(key), n);

    /// <summary><see cref="Walk"/> from a position on the circle rather than a key.</summary>
    internal IReadOnlyList<string> WalkAt(ulong hash) => Collect(hash, _nodes.Length);

    /// <summary><see cref="PreferenceList"/> from a position on the circle rather than a key.</summary>
    internal IReadOnlyList<string> PreferenceListAt(ulong hash, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return Collect(hash, Math.Min(n, _nodes.Length));
    }

    /// <summary>The token of node <paramref name="node"/> number <paramref name="index"/>: XxHash64 of UTF-8 "node#index".</summary>
    internal static ulong Token(string node, int index)
    {
        var length = Encoding.UTF8.GetByteCount(node) + 1 + 10;
        var buffer = length <= 256 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(node, buffer);
        buffer[written++] = (byte)'#';
        index.TryFormat(buffer[written..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        return XxHash64.HashToUInt64(buffer[..(written + digits)]);
    }

    private string[] Collect(ulong hash, int count)
    {
        if (count == 0)
        {
            return [];
        }

        Span<int> owners = count <= 64 ? stackalloc int[count] : new int[count];
        CollectOwners(FirstTokenAtOrAfter(hash), owners);
        var result = new string[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = _nodes[owners[i]];
        }

        return result;
    }

    /// <summary>Index of the first token ≥ <paramref name="hash"/>, or 0 when every token is smaller (the wrap).</summary>
    private int FirstTokenAtOrAfter(ulong hash)
    {
        var lo = 0;
        var hi = _tokens.Length;
        while (lo < hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            if (_tokens[mid] < hash)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo == _tokens.Length ? 0 : lo;
    }

    /// <summary>
    /// Fills <paramref name="owners"/> with the first distinct owners met walking clockwise from
    /// token <paramref name="start"/>. Every node owns a token, so the walk ends within one turn.
    /// </summary>
    private void CollectOwners(int start, Span<int> owners)
    {
        var want = owners.Length;
        var words = (_nodes.Length + 63) >> 6;
        var linear = want <= LinearScanLimit;

        // Few wanted nodes (the usual N of 3): a scan of at most 8 collected ones beats a bitset,
        // whose clearing would cost a word per 64 ring members on every call.
        Span<ulong> seen = linear ? [] : words <= MaxStackWords ? stackalloc ulong[words] : new ulong[words];
        seen.Clear();
        var filled = 0;
        for (var i = start; filled < want; i = i + 1 == _tokens.Length ? 0 : i + 1)
        {
            var owner = _owners[i];
            if (linear)
            {
                if (owners[..filled].Contains(owner))
                {
                    continue;
                }
            }
            else
            {
                ref var word = ref seen[owner >> 6];
                var bit = 1UL << (owner & 63);
                if ((word & bit) != 0)
                {
                    continue;
                }

                word |= bit;
            }

            owners[filled++] = owner;
        }
    }
}
