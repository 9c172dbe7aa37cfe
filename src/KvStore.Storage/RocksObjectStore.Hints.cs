using System.Collections.Immutable;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using RocksDbSharp;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore : IHintStore
{
    /// <summary>Written only by the writer thread, after the batch that changed it; read by anyone.</summary>
    private ImmutableDictionary<string, int> _hintCounts = ImmutableDictionary.Create<string, int>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> HintCounts => Volatile.Read(ref _hintCounts);

    public Task<bool> AddHintAsync(string target, byte[] key, KvObject obj, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(obj);
        return EnqueueAsync(new PendingHint(target, HintKey.Encode(target, key), obj, cancellationToken));
    }

    public Task<bool> DeleteHintAsync(string target, byte[] key, KvObject delivered, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(delivered);
        return EnqueueAsync(new PendingHintDelete(target, HintKey.Encode(target, key), delivered, cancellationToken));
    }

    public IReadOnlyList<Hint> ReadHints(string target, int max, byte[]? afterKey = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var prefix = HintKey.Prefix(target);
        var start = afterKey is null ? prefix : HintKey.Encode(target, afterKey);
        var hints = new List<Hint>();
        using var it = _db.NewIterator(_hints);
        for (it.Seek(start); it.Valid() && hints.Count < max; it.Next())
        {
            var stored = it.Key();
            if (!stored.AsSpan().StartsWith(prefix))
            {
                break;
            }

            if (afterKey is not null && stored.AsSpan().SequenceEqual(start))
            {
                continue;
            }

            hints.Add(new Hint(target, stored[prefix.Length..], ObjectCodec.Decode(it.Value())));
        }

        return hints;
    }

    /// <remarks>
    /// A point read per target with pending hints rather than a scan of the family: the targets are
    /// the few nodes of the cluster, the hints may be millions.
    /// </remarks>
    public IReadOnlyList<Hint> HintsForKey(ReadOnlySpan<byte> key, int max = 64)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var hints = new List<Hint>();
        foreach (var target in HintCounts.Keys.Order(StringComparer.Ordinal))
        {
            if (hints.Count == max)
            {
                break;
            }

            if (_db.Get(HintKey.Encode(target, key), _hints) is { } stored)
            {
                hints.Add(new Hint(target, key.ToArray(), ObjectCodec.Decode(stored)));
            }
        }

        return hints;
    }

    /// <summary>Counts the stored hints per target; run once at open, before the writer starts.</summary>
    private static ImmutableDictionary<string, int> CountHints(RocksDb db, ColumnFamilyHandle hints)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        using var it = db.NewIterator(hints);
        for (it.SeekToFirst(); it.Valid(); it.Next())
        {
            if (HintKey.TryDecode(it.Key(), out var target, out _))
            {
                counts[target] = counts.GetValueOrDefault(target) + 1;
            }
        }

        return counts.ToImmutableDictionary(StringComparer.Ordinal);
    }

    private KvObject? CurrentHint(byte[] hintKey, WriteGroup group)
    {
        if (group.Hints.TryGetValue(hintKey, out var current))
        {
            return current;
        }

        var stored = _db.Get(hintKey, _hints);
        return stored is null ? null : ObjectCodec.Decode(stored);
    }

    private void StageHint(PendingHint item, WriteGroup group)
    {
        var current = CurrentHint(item.HintKey, group);
        var count = group.HintCounts.GetValueOrDefault(item.Target);
        if (current is null && count >= _maxHintsPerTarget)
        {
            Stats.RecordHintDropped();
            item.SetResult(false);
            return;
        }

        var next = current is null ? item.Object : current.Merge(item.Object);
        if (!next.Equals(current))
        {
            group.Batch.Put(item.HintKey, CheckedEncode(next), _hints);
            group.Hints[item.HintKey] = next;
            group.Operations++;
            if (current is null)
            {
                group.HintCounts = group.HintCounts.SetItem(item.Target, count + 1);
            }
        }

        group.HintsStored++;
        item.SetResult(true);
    }

    private void StageHintDelete(PendingHintDelete item, WriteGroup group)
    {
        var current = CurrentHint(item.HintKey, group);
        if (current is null || !current.Equals(item.Delivered))
        {
            item.SetResult(false);
            return;
        }

        group.Batch.Delete(item.HintKey, _hints);
        group.Hints[item.HintKey] = null;
        group.Operations++;
        group.HintsDeleted++;
        var count = group.HintCounts.GetValueOrDefault(item.Target) - 1;
        group.HintCounts = count > 0 ? group.HintCounts.SetItem(item.Target, count) : group.HintCounts.Remove(item.Target);
        item.SetResult(true);
    }
}
