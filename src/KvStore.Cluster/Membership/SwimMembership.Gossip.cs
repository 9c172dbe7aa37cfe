using KvStore.Cluster.Membership.Messages;

namespace KvStore.Cluster.Membership;

/// <summary>
/// Gossip rounds (memberlist's gossip()): besides riding on probes, queued updates are sent every
/// GossipInterval to GossipFanout random members, which makes dissemination time independent of
/// the probe period.
/// </summary>
public sealed partial class SwimMembership
{
    private void GossipTick()
    {
        if (_broadcasts.Count == 0)
        {
            return;
        }

        foreach (var target in PickRandom(Others(m => m.IsAliveOrSuspect), _options.GossipFanout))
        {
            var header = SwimCodec.EncodeMessage(new SwimMessage.Gossip());
            var updates = TakeBroadcasts(_packetBudget - header.Length - SwimCodec.CountReserve);
            if (updates.Count == 0)
            {
                return;
            }

            _outbox.Add((target.Member.Address, _auth.Seal(_local.Id, SwimCodec.Assemble(header, updates))));
        }
    }
}
