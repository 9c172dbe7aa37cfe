using KvStore.Core.AntiEntropy;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using KvStore.Core.Serialization;
using KvStore.Storage;
using KvStore.Testing.Memory;

namespace KvStore.Cluster.Tests.Replication;

/// <summary>
/// An object and hint store in memory, for cluster tests without disks. Updates run inline, under
/// one lock. Like the RocksDB store it keeps the anti-entropy tree current with every update.
/// </summary>
internal sealed class MemoryObjectStore(ActorId actor) : IObjectStore, IHintStore, IMerkleSource
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<byte[], KvObject> _objects = new(ByteOrder.Instance);
    private readonly MemoryMerkleIndex _tree = new();
    private readonly Dictionary<string, SortedDictionary<byte[], KvObject>> _hints = new(StringComparer.Ordinal);

    public ActorId Actor { get; } = actor;

    public bool IsHealthy => true;

    public StorageStats Stats { get; } = new();

    private readonly HashSet<byte[]> _refused = new(ByteOrder.Instance);

    public int MaxHintsPerTarget { get; set; } = 1000;

    /// <summary>Updates of the key fail as a bound would (the merged object too large, say).</summary>
    public void RefuseUpdatesOf(byte[] key)
    {
        lock (_lock)
        {
            _refused.Add(key);
        }
    }

    public IReadOnlyDictionary<string, int> HintCounts
    {
        get
        {
            lock (_lock)
            {
                return _hints.Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => p.Value.Count);
            }
        }
    }

    public KvObject? Get(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(key.ToArray());
        }
    }

    public Task<KvObject?> UpdateAsync(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            try
            {
                if (_refused.Contains(key))
                {
                    throw new MutationRejectedException(RejectReason.LimitExceeded, "the key's object would pass its size bound");
                }

                var current = _objects.GetValueOrDefault(key);
                var next = update(current);
                if (next is null)
                {
                    return Task.FromResult(current);
                }

                _objects[key] = next;
                _tree.Set(key, next);
                return Task.FromResult<KvObject?>(next);
            }
            catch (Exception e)
            {
                return Task.FromException<KvObject?>(e);
            }
        }
    }

    public ulong CollectedCounter { get; private set; }

    public Task<bool> CollectAsync(byte[] key, KvObject tombstone, CancellationToken cancellationToken = default)
    {
        if (tombstone.IsLive)
        {
            throw new ArgumentException("only a tombstone can be collected", nameof(tombstone));
        }

        lock (_lock)
        {
            if (!_objects.TryGetValue(key, out var current) || !current.Equals(tombstone))
            {
                return Task.FromResult(false);
            }

            _objects.Remove(key);
            _tree.Remove(key);
            CollectedCounter = Math.Max(CollectedCounter, current.Clock[Actor]);
            return Task.FromResult(true);
        }
    }

    public IReadOnlyList<byte[]> ListTombstones(byte[]? after, int max)
    {
        lock (_lock)
        {
            return _objects.Where(p => !p.Value.IsLive && (after is null || ByteOrder.Instance.Compare(p.Key, after) > 0))
                .Take(max).Select(p => p.Key).ToList();
        }
    }

    public Task<bool> AddHintAsync(string target, byte[] key, KvObject obj, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_hints.TryGetValue(target, out var held))
            {
                _hints[target] = held = new SortedDictionary<byte[], KvObject>(ByteOrder.Instance);
            }

            if (held.TryGetValue(key, out var existing))
            {
                held[key] = existing.Merge(obj);
                return Task.FromResult(true);
            }

            if (held.Count >= MaxHintsPerTarget)
            {
                return Task.FromResult(false);
            }

            held[key] = obj;
            return Task.FromResult(true);
        }
    }

    public IReadOnlyList<Hint> ReadHints(string target, int max, byte[]? afterKey = null)
    {
        lock (_lock)
        {
            return !_hints.TryGetValue(target, out var held)
                ? []
                : held.Where(p => afterKey is null || ByteOrder.Instance.Compare(p.Key, afterKey) > 0)
                    .Take(max).Select(p => new Hint(target, p.Key, p.Value)).ToList();
        }
    }

    public Task<bool> DeleteHintAsync(string target, byte[] key, KvObject delivered, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var deleted = _hints.TryGetValue(target, out var held) && held.TryGetValue(key, out var current) && current.Equals(delivered) && held.Remove(key);
            return Task.FromResult(deleted);
        }
    }

    public IReadOnlyList<Hint> HintsForKey(ReadOnlySpan<byte> key, int max = 64)
    {
        var k = key.ToArray();
        lock (_lock)
        {
            return _hints.Where(p => p.Value.ContainsKey(k)).Take(max).Select(p => new Hint(p.Key, k, p.Value[k])).ToList();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public IReadOnlyCollection<byte[]> Keys
    {
        get
        {
            lock (_lock)
            {
                return _objects.Keys.ToList();
            }
        }
    }

    public ulong NodeHash(int depth, int index) => _tree.NodeHash(depth, index);

    public ulong RangeHash(HashInterval interval)
    {
        lock (_lock)
        {
            return _tree.RangeHash(interval);
        }
    }

    public IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max)
    {
        lock (_lock)
        {
            return _tree.ListKeyHashes(interval, after, max);
        }
    }
}
