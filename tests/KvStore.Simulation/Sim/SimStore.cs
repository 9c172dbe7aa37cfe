using KvStore.Core.AntiEntropy;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using KvStore.Core.Serialization;
using KvStore.Storage;
using KvStore.Testing.Memory;

namespace KvStore.Simulation.Sim;

/// <summary>
/// One node's storage in memory, with the durability model of <see cref="RocksObjectStore"/>: an
/// update is applied atomically and acknowledged once it is in the write-ahead log. The log
/// survives a crash of the process, so a process crash loses nothing acknowledged. With
/// <see cref="Sync"/> off, the log reaches the disk only at the next <see cref="Flush"/> (the
/// operating system's write-back), so a power loss drops what came since, exactly what RocksDB
/// promises without fsync. Like the RocksDB store it keeps the anti-entropy tree current with every update.
/// </summary>
internal sealed class SimStore : IObjectStore, IHintStore, IMerkleSource
{
    private readonly SortedDictionary<byte[], KvObject> _objects = new(ByteOrder.Instance);
    private readonly MemoryMerkleIndex _tree = new();
    private readonly SortedDictionary<string, SortedDictionary<byte[], KvObject>> _hints = new(StringComparer.Ordinal);

    // What a power loss keeps: the objects and hints as of the last flush (with Sync, every write).
    private Durable _flushed = new([], [], 0);

    public SimStore(ActorId actor, bool sync, int maxHintsPerTarget)
    {
        Actor = actor;
        Sync = sync;
        MaxHintsPerTarget = maxHintsPerTarget;
    }

    public ActorId Actor { get; }

    /// <summary>Whether an acknowledgement waits for the disk (Storage:Sync), not only the log in memory.</summary>
    public bool Sync { get; }

    public int MaxHintsPerTarget { get; }

    /// <summary>False once the node's process died: later updates of a stale incarnation must not touch the data.</summary>
    public bool IsHealthy { get; private set; } = true;

    public StorageStats Stats { get; } = new();

    public IReadOnlyCollection<byte[]> Keys => _objects.Keys;

    public IReadOnlyDictionary<string, int> HintCounts =>
        _hints.Where(p => p.Value.Count > 0).ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);

    /// <summary>
    /// A new incarnation of a node whose process died: it reads back what its disk kept. After a
    /// power loss without Sync the store was left open on an earlier boot and may have lost
    /// acknowledged writes, so, as <see cref="RocksObjectStore"/> does, it continues under
    /// <paramref name="newEpoch"/>; a process crash, or any crash with Sync, keeps the epoch.
    /// </summary>
    public static SimStore Reopen(SimStore dead, bool powerLoss, ulong newEpoch = 0)
    {
        var state = powerLoss ? dead._flushed : Snapshot(dead);
        var renew = powerLoss && !dead.Sync;
        if (renew && newEpoch == 0)
        {
            throw new ArgumentException("a power loss without Sync needs the new epoch", nameof(newEpoch));
        }

        var store = new SimStore(renew ? dead.Actor with { Epoch = newEpoch } : dead.Actor, dead.Sync, dead.MaxHintsPerTarget);
        foreach (var (key, obj) in state.Objects)
        {
            store.Put(key, obj);
        }

        foreach (var (target, key, obj) in state.Hints)
        {
            store.HintsOf(target)[key] = obj;
        }

        store.CollectedCounter = state.CollectedCounter;
        store._flushed = state;
        return store;
    }

    /// <summary>The process died: nothing more is written through this instance.</summary>
    public void Kill() => IsHealthy = false;

    /// <summary>The operating system wrote the log back to disk.</summary>
    public void Flush()
    {
        if (IsHealthy)
        {
            _flushed = Snapshot(this);
        }
    }

    public KvObject? Get(ReadOnlySpan<byte> key) => _objects.GetValueOrDefault(key.ToArray());

    public Task<KvObject?> UpdateAsync(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken = default)
    {
        try
        {
            CheckAlive();
            var current = _objects.GetValueOrDefault(key);
            var next = update(current);
            if (next is null)
            {
                return Task.FromResult(current);
            }

            Put(key, next);
            Written();
            return Task.FromResult<KvObject?>(next);
        }
        catch (Exception e)
        {
            return Task.FromException<KvObject?>(e);
        }
    }

    public ulong CollectedCounter { get; private set; }

    /// <summary>Told of every tombstone this store removed, for the checker.</summary>
    public Action<byte[], KvObject>? OnCollected { get; set; }

    public Task<bool> CollectAsync(byte[] key, KvObject tombstone, CancellationToken cancellationToken = default)
    {
        if (tombstone.IsLive)
        {
            throw new ArgumentException("only a tombstone can be collected", nameof(tombstone));
        }

        try
        {
            CheckAlive();
            if (!_objects.TryGetValue(key, out var current) || !current.Equals(tombstone))
            {
                return Task.FromResult(false);
            }

            _objects.Remove(key);
            _tree.Remove(key);
            CollectedCounter = Math.Max(CollectedCounter, current.Clock[Actor]);
            Written();
            OnCollected?.Invoke(key, current);
            return Task.FromResult(true);
        }
        catch (Exception e)
        {
            return Task.FromException<bool>(e);
        }
    }

    public IReadOnlyList<byte[]> ListTombstones(byte[]? after, int max) =>
        _objects.Where(p => !p.Value.IsLive && (after is null || ByteOrder.Instance.Compare(p.Key, after) > 0)).Take(max).Select(p => p.Key).ToList();

    public Task<bool> AddHintAsync(string target, byte[] key, KvObject obj, CancellationToken cancellationToken = default)
    {
        try
        {
            CheckAlive();
            var held = HintsOf(target);
            if (held.TryGetValue(key, out var existing))
            {
                held[key] = existing.Merge(obj);
            }
            else if (held.Count >= MaxHintsPerTarget)
            {
                return Task.FromResult(false);
            }
            else
            {
                held[key] = obj;
            }

            Written();
            return Task.FromResult(true);
        }
        catch (Exception e)
        {
            return Task.FromException<bool>(e);
        }
    }

    public IReadOnlyList<Hint> ReadHints(string target, int max, byte[]? afterKey = null) =>
        !_hints.TryGetValue(target, out var held)
            ? []
            : held.Where(p => afterKey is null || ByteOrder.Instance.Compare(p.Key, afterKey) > 0).Take(max).Select(p => new Hint(target, p.Key, p.Value)).ToList();

    public Task<bool> DeleteHintAsync(string target, byte[] key, KvObject delivered, CancellationToken cancellationToken = default)
    {
        if (!IsHealthy)
        {
            return Task.FromException<bool>(new ObjectDisposedException(nameof(SimStore), "the node's process died"));
        }

        var deleted = _hints.TryGetValue(target, out var held) && held.TryGetValue(key, out var current) && current.Equals(delivered) && held.Remove(key);
        if (deleted)
        {
            Written();
        }

        return Task.FromResult(deleted);
    }

    public IReadOnlyList<Hint> HintsForKey(ReadOnlySpan<byte> key, int max = 64)
    {
        var k = key.ToArray();
        return _hints.Where(p => p.Value.ContainsKey(k)).Take(max).Select(p => new Hint(p.Key, k, p.Value[k])).ToList();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public ulong NodeHash(int depth, int index) => _tree.NodeHash(depth, index);

    public ulong RangeHash(HashInterval interval) => _tree.RangeHash(interval);

    public IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max) => _tree.ListKeyHashes(interval, after, max);

    private void CheckAlive()
    {
        if (!IsHealthy)
        {
            throw new ObjectDisposedException(nameof(SimStore), "the node's process died");
        }
    }

    private void Written()
    {
        if (Sync)
        {
            _flushed = Snapshot(this);
        }
    }

    private SortedDictionary<byte[], KvObject> HintsOf(string target)
    {
        if (!_hints.TryGetValue(target, out var held))
        {
            _hints[target] = held = new SortedDictionary<byte[], KvObject>(ByteOrder.Instance);
        }

        return held;
    }

    // Objects are immutable, so a snapshot shares them; the simulated data sets are small.
    private static Durable Snapshot(SimStore s) => new(
        s._objects.Select(p => (p.Key, p.Value)).ToList(),
        s._hints.SelectMany(t => t.Value.Select(h => (t.Key, h.Key, h.Value))).ToList(),
        s.CollectedCounter);

    private void Put(byte[] key, KvObject obj)
    {
        _objects[key] = obj;
        _tree.Set(key, obj);
    }

    private sealed record Durable(List<(byte[] Key, KvObject Obj)> Objects, List<(string Target, byte[] Key, KvObject Obj)> Hints, ulong CollectedCounter);
}
