using System.Collections.Immutable;
using KvStore.Core.Crdt;
using RocksDbSharp;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore
{
    /// <summary>
    /// What one group commit has staged so far: the batch, the state of every key it touched (so a
    /// later item in the group sees an earlier one), and the hint counts as they will be once the
    /// batch is written. Nothing here is visible to readers until <see cref="CommitGroup"/> publishes it.
    /// </summary>
    private sealed class WriteGroup : IDisposable
    {
        public WriteGroup(ImmutableDictionary<string, int> hintCounts)
        {
            HintCounts = hintCounts;
        }

        public WriteBatch Batch { get; } = new();

        /// <summary>
        /// Objects written by this group, with their encoding and <see cref="Core.AntiEntropy.ObjectHash"/>;
        /// a null object is a key the group collected (removed).
        /// </summary>
        public Dictionary<byte[], (KvObject? Object, byte[] Encoded, ulong Hash)> Objects { get; } = new(ByteOrder.Instance);

        /// <summary>Per leaf segment the group changed: the XOR of its keys' old and new hashes.</summary>
        public Dictionary<int, ulong> LeafChanges { get; } = [];

        /// <summary>Hints written or deleted (null) by this group, by encoded hint key.</summary>
        public Dictionary<byte[], KvObject?> Hints { get; } = new(ByteOrder.Instance);

        public ImmutableDictionary<string, int> HintCounts { get; set; }

        public int ObjectWrites { get; set; }

        public int HintsStored { get; set; }

        public int HintsDeleted { get; set; }

        /// <summary>Puts and deletes in the batch, of either family.</summary>
        public int Operations { get; set; }

        public void Dispose() => Batch.Dispose();
    }
}
