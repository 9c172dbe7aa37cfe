using System.Collections.Immutable;
using KvStore.Cluster.Membership.Messages;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership;

/// <summary>
/// Failure detection (SWIM section 3 and 4.3; Lifeguard section 4): one member per protocol period,
/// in randomized round-robin order, probed directly and then through IndirectChecks relays.
/// </summary>
public sealed partial class SwimMembership
{
    private readonly Dictionary<uint, AckHandler> _acks = [];
    private readonly List<string> _probeOrder = [];
    private int _probeIndex;
    private uint _nextSeq;
    private Probe? _probe;

    private uint NextSeq() => ++_nextSeq;

    private void ProbeTick()
    {
        Reap();
        if (_probe is { } running)
        {
            // Lifeguard stretches a probe past the period while this node is unhealthy; the next
            // probe waits for it, as memberlist's ticker skips ticks during a slow probe.
            if (running.Deadline > _time.GetUtcNow())
            {
                return;
            }

            EndProbe(running);
        }

        if (_members[_local.Id].State == MemberState.Left)
        {
            return;
        }

        var target = NextProbeTarget();
        if (target is null)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var seq = NextSeq();
        var probe = new Probe(seq, target.Id, target.Incarnation, now + SwimTiming.ProbeTimeout(_options.ProbeInterval, _awareness.Score));
        _probe = probe;
        _acks[seq] = new AckHandler(() => ProbeSucceeded(probe), () => probe.Nacks++);

        // memberlist sends a suspect member its suspicion with the ping, so it can refute at once.
        MemberUpdate? news = target.State == MemberState.Suspect ? new MemberUpdate.Suspect(target.Id, target.Incarnation, _local.Id) : null;
        SendPacket(target.Member.Address, new SwimMessage.Ping(seq, target.Id, _members[_local.Id].Record), news);
        probe.Timers.Add(_timers.Once(SwimTiming.ProbeTimeout(_options.ProbeTimeout, _awareness.Score), () => Locked(() => ProbeIndirectly(probe))));
        probe.Timers.Add(_timers.Once(probe.Deadline - now, () => Locked(() => EndProbe(probe))));
    }

    /// <summary>SWIM's randomized round robin: every member is probed once per pass over a freshly shuffled list.</summary>
    private MemberEntry? NextProbeTarget()
    {
        for (var attempts = 0; attempts <= _members.Count + 1; attempts++)
        {
            if (_probeIndex >= _probeOrder.Count)
            {
                _probeOrder.Clear();
                _probeOrder.AddRange(Others(m => m.IsAliveOrSuspect).Select(m => m.Id));
                for (var i = _probeOrder.Count - 1; i > 0; i--)
                {
                    var j = _random.Next(i + 1);
                    (_probeOrder[i], _probeOrder[j]) = (_probeOrder[j], _probeOrder[i]);
                }

                _probeIndex = 0;
                if (_probeOrder.Count == 0)
                {
                    return null;
                }
            }

            var id = _probeOrder[_probeIndex++];
            if (_members.TryGetValue(id, out var entry) && entry.IsAliveOrSuspect)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>A new member goes to a random place in the rest of the current pass (memberlist does the same), so it is probed soon but not first.</summary>
    private void AddToProbeOrder(string id)
    {
        var at = _probeIndex + _random.Next(_probeOrder.Count - _probeIndex + 1);
        _probeOrder.Insert(at, id);
    }

    private void ProbeIndirectly(Probe probe)
    {
        if (probe.Done || !_members.TryGetValue(probe.TargetId, out var target))
        {
            return;
        }

        var relays = PickRandom(Others(m => m.State == MemberState.Alive && m.Id != probe.TargetId), _options.IndirectChecks);
        probe.ExpectedNacks = relays.Count;
        foreach (var relay in relays)
        {
            SendPacket(relay.Member.Address, new SwimMessage.PingReq(probe.Seq, target.Id, target.Member.Address, _members[_local.Id].Record));
        }
    }

    private void ProbeSucceeded(Probe probe)
    {
        if (probe.Done)
        {
            return;
        }

        FinishProbe(probe);
        _awareness.Apply(-1);
    }

    /// <summary>
    /// The period ended without an ack: the target becomes suspect. Lifeguard: each relay that did
    /// not even send a nack suggests the fault is on this node's side, so awareness rises by the
    /// number missing (by one when there were no relays to ask).
    /// </summary>
    private void EndProbe(Probe probe)
    {
        if (probe.Done)
        {
            return;
        }

        FinishProbe(probe);
        _awareness.Apply(probe.ExpectedNacks > 0 ? probe.ExpectedNacks - probe.Nacks : 1);
        LogProbeFailed(_logger, probe.TargetId, probe.Nacks, probe.ExpectedNacks);
        // A target that refuted while it was being probed has shown it is alive; leave it be.
        if (_members.TryGetValue(probe.TargetId, out var target) && target.IsAliveOrSuspect && target.Incarnation == probe.TargetIncarnation)
        {
            ApplySuspect(target.Id, target.Incarnation, _local.Id);
        }
    }

    private void FinishProbe(Probe probe)
    {
        probe.Done = true;
        _acks.Remove(probe.Seq);
        foreach (var t in probe.Timers)
        {
            t.Dispose();
        }

        if (ReferenceEquals(_probe, probe))
        {
            _probe = null;
        }
    }

    /// <summary>
    /// Serves a ping-req: probes the target with a sequence number of this node's own and relays an
    /// ack, or (Lifeguard) a nack if the target does not answer within the probe timeout, which
    /// tells the requester that this relay at least is alive.
    /// </summary>
    private void RelayProbe(SwimMessage.PingReq request, MemberEntry requester)
    {
        var seq = NextSeq();
        var address = _members.TryGetValue(request.TargetId, out var target) ? target.Member.Address : request.TargetAddress;
        IDisposable? timer = null;
        _acks[seq] = new AckHandler(
            () =>
            {
                timer?.Dispose();
                SendPacket(requester.Member.Address, new SwimMessage.Ack(request.Seq));
            },
            null);
        timer = _timers.Once(_options.ProbeTimeout, () => Locked(() =>
        {
            if (_acks.Remove(seq))
            {
                SendPacket(requester.Member.Address, new SwimMessage.Nack(request.Seq));
            }
        }));
        SendPacket(address, new SwimMessage.Ping(seq, request.TargetId, _members[_local.Id].Record));
    }

    private void OnAck(uint seq)
    {
        if (_acks.Remove(seq, out var handler))
        {
            handler.OnAck();
        }
    }

    private void OnNack(uint seq)
    {
        if (_acks.TryGetValue(seq, out var handler))
        {
            handler.OnNack?.Invoke();
        }
    }

    private sealed record AckHandler(Action OnAck, Action? OnNack);

    private sealed class Probe(uint seq, string targetId, ulong targetIncarnation, DateTimeOffset deadline)
    {
        public uint Seq { get; } = seq;
        public string TargetId { get; } = targetId;
        public ulong TargetIncarnation { get; } = targetIncarnation;

        /// <summary>The end of this probe's period, stretched by awareness.</summary>
        public DateTimeOffset Deadline { get; } = deadline;

        public List<IDisposable> Timers { get; } = [];
        public int ExpectedNacks { get; set; }
        public int Nacks { get; set; }
        public bool Done { get; set; }
    }
}
