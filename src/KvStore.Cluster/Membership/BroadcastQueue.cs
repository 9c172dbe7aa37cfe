namespace KvStore.Cluster.Membership;

/// <summary>
/// Gossip updates waiting to ride on outgoing datagrams (memberlist's TransmitLimitedQueue). Each
/// update is sent a bounded number of times; the least transmitted go first (newest first among
/// equals), so a fresh update spreads before old ones are repeated. A newer update about a member
/// replaces the queued one, because it supersedes it. The queue is bounded: when full, the most
/// transmitted update is dropped (it has had the most chances already) and counted. Not thread-safe:
/// the engine calls it under its lock.
/// </summary>
internal sealed class BroadcastQueue(int capacity)
{
    private readonly SortedSet<Item> _order = new(ItemOrder.Instance);
    private readonly Dictionary<string, Item> _byMember = [];
    private long _nextSeq;

    public int Count => _byMember.Count;

    /// <summary>Updates dropped because the queue was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Queues <paramref name="update"/> about <paramref name="memberId"/>, replacing any queued one about it.</summary>
    /// <param name="finished">Called once the update was sent its last time, replaced, or dropped.</param>
    public void Enqueue(string memberId, byte[] update, Action? finished = null)
    {
        if (_byMember.TryGetValue(memberId, out var old))
        {
            Remove(old);
        }
        else if (_byMember.Count >= capacity)
        {
            Remove(_order.Max!);
            Dropped++;
        }

        var item = new Item(memberId, update, _nextSeq++, finished);
        _order.Add(item);
        _byMember.Add(memberId, item);
    }

    /// <summary>
    /// Takes the updates that fit in <paramref name="budget"/> bytes (as counted by
    /// <paramref name="cost"/>), counting one transmission for each and retiring those that
    /// reached <paramref name="transmitLimit"/>.
    /// </summary>
    public List<byte[]> Take(int budget, int transmitLimit, Func<byte[], int> cost, int maxCount)
    {
        var taken = new List<Item>();
        foreach (var item in _order)
        {
            if (taken.Count >= maxCount || budget <= 0)
            {
                break;
            }

            var c = cost(item.Update);
            if (c <= budget)
            {
                taken.Add(item);
                budget -= c;
            }
        }

        var result = new List<byte[]>(taken.Count);
        foreach (var item in taken)
        {
            result.Add(item.Update);
            _order.Remove(item);
            item.Transmits++;
            if (item.Transmits >= transmitLimit)
            {
                _byMember.Remove(item.MemberId);
                item.Finished?.Invoke();
            }
            else
            {
                _order.Add(item);
            }
        }

        return result;
    }

    /// <summary>Drops everything queued, finishing each update.</summary>
    public void Clear()
    {
        foreach (var item in _order.ToList())
        {
            Remove(item);
        }
    }

    private void Remove(Item item)
    {
        _order.Remove(item);
        _byMember.Remove(item.MemberId);
        item.Finished?.Invoke();
    }

    private sealed class Item(string memberId, byte[] update, long seq, Action? finished)
    {
        public string MemberId { get; } = memberId;
        public byte[] Update { get; } = update;
        public long Seq { get; } = seq;
        public Action? Finished { get; } = finished;
        public int Transmits { get; set; }
    }

    private sealed class ItemOrder : IComparer<Item>
    {
        public static readonly ItemOrder Instance = new();

        public int Compare(Item? x, Item? y)
        {
            var c = x!.Transmits.CompareTo(y!.Transmits);
            return c != 0 ? c : y.Seq.CompareTo(x.Seq);
        }
    }
}
