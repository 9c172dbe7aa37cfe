using KvStore.Cluster.Membership.Messages;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership;

/// <summary>Applying claims to the member table (memberlist's state.go: aliveNode, suspectNode, deadNode).</summary>
public sealed partial class SwimMembership
{
    private void ApplyUpdate(MemberUpdate update, string sender)
    {
        switch (update)
        {
            case MemberUpdate.Alive a:
                ApplyAlive(a.Record);
                break;
            case MemberUpdate.Suspect s:
                ApplySuspect(s.Id, s.Incarnation, s.From);
                break;
            case MemberUpdate.Dead d:
                ApplyDead(d.Id, d.Incarnation, d.From);
                break;
            case MemberUpdate.Left l:
                ApplyLeft(l.Record);
                break;
        }
    }

    /// <summary>
    /// Takes a member's signed alive record if it is newer than what the table holds. The id is
    /// bound to the first public key seen for it (trust on first use); a later record must verify
    /// under that key, unless the member is dead, left or unknown, which is how a node that lost its
    /// data directory (and so its key) comes back. Only records that would change the table are
    /// verified, so each incarnation's signature is checked once.
    /// </summary>
    private void ApplyAlive(AliveRecord record)
    {
        _members.TryGetValue(record.Id, out var entry);
        var isSelf = record.Id == _local.Id;
        var decision = MemberUpdateRules.Decide(entry?.Member, MemberState.Alive, record.Incarnation, isSelf);
        switch (decision)
        {
            case UpdateDecision.IgnoreStale:
                Counters.Add(DropCounters.Reason.StaleIncarnation);
                return;
            case UpdateDecision.IgnoreNoChange:
                return;
            case UpdateDecision.RefuteNeeded:
                // Only a record this node signed can claim a newer incarnation of it: it restarted and
                // lost count. Anything else is a forgery, and is not worth an incarnation.
                if (record.PublicKey.AsSpan().SequenceEqual(_identity.PublicKey) && record.VerifyWith(_identity.PublicKey))
                {
                    Refute(record.Incarnation, "an alive record from an earlier run");
                }
                else
                {
                    Counters.Add(DropCounters.Reason.ForgedAlive);
                }

                return;
        }

        var bound = entry is { IsAliveOrSuspect: true } ? entry.Record.PublicKey : record.PublicKey;
        if (!record.PublicKey.AsSpan().SequenceEqual(bound) || !record.VerifyWith(bound))
        {
            Counters.Add(DropCounters.Reason.ForgedAlive);
            LogForgedAlive(_logger, record.Id, record.Incarnation);
            return;
        }

        var now = _time.GetUtcNow();
        var member = new Member(record.Id, record.Address, record.AdminAddress, MemberState.Alive, record.Incarnation);
        if (entry is null)
        {
            if (_members.Count >= _options.MaxMembers)
            {
                Counters.Add(DropCounters.Reason.MemberTableFull);
                return;
            }

            entry = new MemberEntry(member, record, now);
            _members.Add(record.Id, entry);
            AddToProbeOrder(record.Id);
            LogMemberJoined(_logger, record.Id, record.Address, record.Incarnation);
        }
        else
        {
            if (entry.State != MemberState.Alive)
            {
                LogStateChanged(_logger, record.Id, entry.State, MemberState.Alive, record.Incarnation);
            }

            entry.EndSuspicion();
            entry.Member = member;
            entry.Record = record;
            entry.Left = null;
            entry.Since = now;
        }

        Broadcast(new MemberUpdate.Alive(record));
        PublishView();
    }

    private void ApplySuspect(string id, ulong incarnation, string from)
    {
        if (!Decide(id, MemberState.Suspect, incarnation, out var entry, out var decision))
        {
            return;
        }

        if (decision == UpdateDecision.IgnoreNoChange)
        {
            // Lifeguard: another member's independent suspicion of the same incarnation confirms
            // ours and shortens it; pass the confirmation on so others can count it too.
            if (entry.State == MemberState.Suspect && entry.Incarnation == incarnation && entry.Suspicion?.Confirm(from) == true)
            {
                RescheduleSuspicion(entry);
                Broadcast(new MemberUpdate.Suspect(id, incarnation, from));
            }

            return;
        }

        var now = _time.GetUtcNow();
        var n = _members.Count;
        var min = SwimTiming.SuspicionTimeout(_options.SuspicionMultiplier, n, _options.ProbeInterval);
        var max = min * _options.SuspicionMaxTimeoutMultiplier;

        // memberlist: expect SuspicionMult - 2 confirmations, but none if the cluster is too small to provide them.
        var expected = _options.SuspicionMultiplier - 2;
        if (n - 2 < expected)
        {
            expected = 0;
        }

        LogStateChanged(_logger, id, entry.State, MemberState.Suspect, incarnation);
        entry.EndSuspicion();
        entry.Member = entry.Member with { State = MemberState.Suspect, Incarnation = incarnation };
        entry.Since = now;
        entry.Suspicion = new Suspicion(from, Math.Max(0, expected), min, max, now);
        RescheduleSuspicion(entry);
        Broadcast(new MemberUpdate.Suspect(id, incarnation, from));
        PublishView();
    }

    private void RescheduleSuspicion(MemberEntry entry)
    {
        var suspicion = entry.Suspicion!;
        suspicion.Timer?.Dispose();
        var incarnation = entry.Incarnation;
        suspicion.Timer = _timers.Once(suspicion.Remaining(_time.GetUtcNow()), () => Locked(() =>
        {
            if (_members.TryGetValue(entry.Id, out var current) && ReferenceEquals(current.Suspicion, suspicion)
                && current.State == MemberState.Suspect && current.Incarnation == incarnation)
            {
                ApplyDead(entry.Id, incarnation, _local.Id);
            }
        }));
    }

    private void ApplyDead(string id, ulong incarnation, string from)
    {
        if (!Decide(id, MemberState.Dead, incarnation, out var entry, out var decision) || decision != UpdateDecision.Apply)
        {
            return;
        }

        LogStateChanged(_logger, id, entry.State, MemberState.Dead, incarnation);
        entry.EndSuspicion();
        entry.Member = entry.Member with { State = MemberState.Dead, Incarnation = incarnation };
        entry.Since = _time.GetUtcNow();
        Broadcast(new MemberUpdate.Dead(id, incarnation, from));
        PublishView();
    }

    private void ApplyLeft(LeftRecord left)
    {
        if (!Decide(left.Id, MemberState.Left, left.Incarnation, out var entry, out var decision) || decision == UpdateDecision.IgnoreNoChange)
        {
            return;
        }

        if (decision == UpdateDecision.RefuteNeeded)
        {
            // A farewell this node signed in an earlier run, while it is here again: move past it.
            if (left.VerifyWith(_identity.PublicKey))
            {
                Refute(left.Incarnation, "a left record from an earlier run");
            }
            else
            {
                Counters.Add(DropCounters.Reason.ForgedLeft);
            }

            return;
        }

        if (!left.VerifyWith(entry.Record.PublicKey))
        {
            Counters.Add(DropCounters.Reason.ForgedLeft);
            return;
        }

        LogStateChanged(_logger, left.Id, entry.State, MemberState.Left, left.Incarnation);
        entry.EndSuspicion();
        entry.Member = entry.Member with { State = MemberState.Left, Incarnation = left.Incarnation };
        entry.Left = left;
        entry.Since = _time.GetUtcNow();
        Broadcast(new MemberUpdate.Left(left));
        PublishView();
    }

    /// <summary>
    /// The common part of suspect, dead and left: counts stale claims, refutes bad news about this
    /// node, and returns false when there is nothing more to do.
    /// </summary>
    private bool Decide(string id, MemberState claim, ulong incarnation, out MemberEntry entry, out UpdateDecision decision)
    {
        _members.TryGetValue(id, out var found);
        entry = found!;
        decision = MemberUpdateRules.Decide(found?.Member, claim, incarnation, id == _local.Id);
        switch (decision)
        {
            case UpdateDecision.IgnoreStale:
                Counters.Add(DropCounters.Reason.StaleIncarnation);
                return false;
            case UpdateDecision.RefuteNeeded when claim == MemberState.Left:
                // Only this node signs its farewell: the caller checks the signature before refuting.
                return true;
            case UpdateDecision.RefuteNeeded:
                Refute(incarnation, $"{claim} claim");
                return false;
            default:
                return found is not null;
        }
    }

    /// <summary>
    /// SWIM section 4.2: this node answers a suspicion (or an obituary) about itself by raising its
    /// incarnation past the claim's and gossiping a fresh alive record. Lifeguard counts having to
    /// refute as a sign that this node is slow.
    /// </summary>
    private void Refute(ulong claimIncarnation, string reason)
    {
        var self = _members[_local.Id];
        var incarnation = Math.Max(claimIncarnation, self.Incarnation) + 1;
        var record = AliveRecord.Create(_identity, _local.Id, _local.Address, _local.AdminAddress, incarnation);
        self.Member = self.Member with { State = MemberState.Alive, Incarnation = incarnation };
        self.Record = record;
        self.Since = _time.GetUtcNow();
        _awareness.Apply(1);
        LogRefuted(_logger, incarnation, reason);
        Broadcast(new MemberUpdate.Alive(record));
        PublishView();
    }

    private void Broadcast(MemberUpdate update, Action? finished = null)
    {
        var before = _broadcasts.Dropped;
        _broadcasts.Enqueue(update.Id, SwimCodec.EncodeUpdate(update), finished);
        var dropped = _broadcasts.Dropped - before;
        if (dropped > 0)
        {
            Counters.Add(DropCounters.Reason.BroadcastDropped, dropped);
        }
    }

    /// <summary>Removes dead and left members that have been so for ReapAfter, bounding how long the table remembers them.</summary>
    private void Reap()
    {
        var cutoff = _time.GetUtcNow() - _options.ReapAfter;
        var gone = _members.Values
            .Where(m => m.Id != _local.Id && m.State is MemberState.Dead or MemberState.Left && m.Since <= cutoff)
            .Select(m => m.Id)
            .ToList();
        foreach (var id in gone)
        {
            _members.Remove(id);
            LogReaped(_logger, id);
        }

        if (gone.Count > 0)
        {
            PublishView();
        }
    }
}
