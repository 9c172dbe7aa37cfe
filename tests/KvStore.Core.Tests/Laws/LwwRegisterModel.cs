using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Core.Tests.Laws;

/// <summary>
/// Model of the register: a write is superseded when a later write or delete saw it (its context
/// covers the write's dot) or when its own replica wrote again. Of the writes never superseded, the
/// one with the greatest (timestamp, dot) is visible; if none is left, the key reads as deleted.
/// Timestamps are drawn from a narrow range on purpose, so that ties and out-of-order clocks occur.
/// </summary>
public sealed class LwwRegisterModel : IReplicaModel<LwwRegister>
{
    private readonly List<(Dot Dot, HlcTimestamp Ts, string Value)> _writes = [];
    private readonly List<(VersionVector Seen, Dot? Own)> _supersessions = [];

    public LwwRegister Empty => LwwRegister.Empty;

    public LwwRegister ApplyLocal(LwwRegister state, ActorId actor, VersionVector earlierRead, uint choice)
    {
        var useEarlier = (choice & 0x100) != 0;
        var seen = useEarlier ? earlierRead : state.Clock;
        if (choice % 4 == 3)
        {
            _supersessions.Add((seen, null));
            return state.Clear(useEarlier ? earlierRead : null);
        }

        var ts = new HlcTimestamp(1000 + ((choice >> 3) % 4), (choice >> 5) % 2);
        var counter = state.Clock[actor] + 1;
        var dot = new Dot(actor, counter);
        var value = $"{actor.Node}{counter}";
        _supersessions.Add((seen, dot));
        _writes.Add((dot, ts, value));
        return state.Assign(actor, ts, Encoding.ASCII.GetBytes(value), useEarlier ? earlierRead : null);
    }

    public string Expected()
    {
        var live = _writes.Where(w => !_supersessions.Any(s =>
            s.Own != w.Dot && (s.Seen.Contains(w.Dot) || (s.Own is { } own && own.Actor == w.Dot.Actor && own.Counter > w.Dot.Counter))));
        var winner = live.OrderByDescending(w => w.Ts).ThenByDescending(w => w.Dot).FirstOrDefault();
        return winner.Value ?? "<deleted>";
    }

    public string Observe(LwwRegister state) =>
        state.Winner is { } w ? Encoding.ASCII.GetString(w.Value.Span) : "<deleted>";

    public byte[] Canonical(LwwRegister state) => ObjectCodec.Encode(KvObject.Of(state));
}
