using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;

namespace KvStore.Core.Tests.Laws;

/// <summary>
/// Model of the add-wins set: an element is present at the end if and only if some addition of it
/// was seen by no remove of it (a remove that saw an addition cancels it; one that did not, cannot).
/// </summary>
public sealed class OrSetModel : IReplicaModel<OrSet>
{
    private static readonly byte[][] Universe = ["w"u8.ToArray(), "x"u8.ToArray(), "y"u8.ToArray(), "z"u8.ToArray()];
    private readonly List<(byte[] Element, Dot Dot)> _adds = [];
    private readonly List<(byte[] Element, VersionVector Seen)> _removes = [];

    public OrSet Empty => OrSet.Empty;

    public OrSet ApplyLocal(OrSet state, ActorId actor, VersionVector earlierRead, uint choice)
    {
        var elements = Pick(choice);
        switch (choice % 5)
        {
            case 0 or 1 or 2:
            {
                var next = state.Add(actor, elements);
                var dot = new Dot(actor, next.Clock[actor]);
                _adds.AddRange(elements.Select(e => (e, dot)));
                return next;
            }

            case 3:
            {
                // Remove with the context of the replica's current state, or of an earlier read.
                var seen = (choice & 0x100) != 0 ? earlierRead : state.Clock;
                _removes.AddRange(elements.Select(e => (e, seen)));
                return state.Remove(elements, (choice & 0x100) != 0 ? earlierRead : null);
            }

            default:
            {
                // Delete of the whole key: removes every element the context saw.
                var seen = (choice & 0x100) != 0 ? earlierRead : state.Clock;
                _removes.AddRange(Universe.Select(e => (e, seen)));
                return state.Clear((choice & 0x100) != 0 ? earlierRead : null);
            }
        }
    }

    public string Expected()
    {
        var present = _adds
            .Where(a => !_removes.Any(r => r.Element.AsSpan().SequenceEqual(a.Element) && r.Seen.Contains(a.Dot)))
            .Select(a => Encoding.ASCII.GetString(a.Element))
            .Distinct()
            .Order(StringComparer.Ordinal);
        return "{" + string.Join(",", present) + "}";
    }

    public string Observe(OrSet state) =>
        "{" + string.Join(",", state.Members.ToArray().Select(m => Encoding.ASCII.GetString(m.Element))) + "}";

    public byte[] Canonical(OrSet state) => ObjectCodec.Encode(KvObject.Of(state));

    private static byte[][] Pick(uint choice)
    {
        var first = Universe[(choice >> 3) % 4];
        var second = Universe[(choice >> 5) % 4];
        return (choice & 0x80) != 0 ? [first, second] : [first];
    }
}
