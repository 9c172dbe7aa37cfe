using KvStore.Cluster.Membership.Messages;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Membership;

/// <summary>
/// Push-pull anti-entropy and joining (memberlist's pushPullNode and mergeState): two members
/// exchange their whole tables over a reliable channel and merge each other's, which repairs any
/// gossip that bounded retransmission lost and is how a new node learns the cluster.
/// </summary>
public sealed partial class SwimMembership
{
    /// <summary>
    /// The server side of push-pull: opens the sealed request, merges the sender's table and returns
    /// this node's table, sealed.
    /// </summary>
    /// <exception cref="PushPullRejectedException">The request was refused (and counted).</exception>
    public byte[] HandlePushPull(ReadOnlySpan<byte> sealedRequest)
    {
        var request = sealedRequest.ToArray();
        byte[]? reply = null;
        string? refusal = null;
        Locked(() =>
        {
            if (!TryMergeRemote(request, reply: false, out var sender, out refusal))
            {
                return;
            }

            LogPushPullServed(_logger, sender);
            reply = _auth.Seal(_local.Id, SwimCodec.EncodeFullState(LocalState(join: false), reply: true));
        });
        return reply ?? throw new PushPullRejectedException(refusal ?? "membership is stopped");
    }

    /// <summary>Push-pull with each seed in turn until one answers.</summary>
    private async Task<bool> JoinAsync(IReadOnlyList<string> seeds, CancellationToken ct)
    {
        foreach (var seed in seeds)
        {
            if (await PushPullAsync(seed, join: true, ct).ConfigureAwait(false))
            {
                LogJoined(_logger, seed, _view.Members.Length);
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Retries the seeds with a doubling backoff, from one probe interval up to the push-pull
    /// interval, while no seed has answered and no member has found this node.
    /// </summary>
    private void ScheduleJoinRetry(IReadOnlyList<string> seeds, int attempt)
    {
        lock (_gate)
        {
            var delay = TimeSpan.FromTicks(Math.Min(
                _options.ProbeInterval.Ticks << Math.Min(attempt - 1, 20),
                _options.PushPullInterval.Ticks));
            _timers.Once(delay, () => _ = RetryJoinAsync(seeds, attempt));
        }
    }

    private async Task RetryJoinAsync(IReadOnlyList<string> seeds, int attempt)
    {
        try
        {
            lock (_gate)
            {
                if (_disposed || _members.Values.Any(m => m.Id != _local.Id && m.IsAliveOrSuspect))
                {
                    return;
                }
            }

            if (await JoinAsync(seeds, _stopping.Token).ConfigureAwait(false))
            {
                return;
            }

            LogJoinRetry(_logger, attempt);
            ScheduleJoinRetry(seeds, attempt + 1);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private void PeriodicPushPull()
    {
        string? address = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var peer = PickRandom(Others(m => m.State == MemberState.Alive), 1);
            address = peer.Count == 1 ? peer[0].Member.Address : null;
        }

        if (address is not null)
        {
            _ = PushPullAsync(address, join: false, _stopping.Token);
        }
    }

    /// <summary>One exchange: send this node's table, merge the reply. False if the peer did not answer or the reply was refused.</summary>
    private async Task<bool> PushPullAsync(string address, bool join, CancellationToken ct)
    {
        byte[]? request = null;
        Locked(() => request = _auth.Seal(_local.Id, SwimCodec.EncodeFullState(LocalState(join), reply: false)));
        if (request is null)
        {
            return false;
        }

        byte[] reply;
        try
        {
            using var deadline = new PeerDeadline(_options.PushPullTimeout, _time, ct);
            reply = await _channel.ExchangeAsync(address, request, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogPushPullFailed(_logger, address, e.Message);
            return false;
        }

        var merged = false;
        Locked(() =>
        {
            merged = TryMergeRemote(reply, reply: true, out _, out var refusal);
            if (!merged)
            {
                LogPushPullFailed(_logger, address, refusal!);
            }
        });
        return merged;
    }

    /// <summary>Opens and merges a remote table (under the lock). The sender must be in it, with its own alive record.</summary>
    private bool TryMergeRemote(byte[] sealedState, bool reply, out string sender, out string? refusal)
    {
        var result = _auth.Open(sealedState, out sender, out var payload);
        if (!CountAuthFailure(result, sender))
        {
            refusal = result.ToString();
            return false;
        }

        FullState state;
        try
        {
            state = SwimCodec.DecodeFullState(payload.Span, reply, _options.MaxMembers);
        }
        catch (MalformedDataException e)
        {
            Counters.Add(DropCounters.Reason.Malformed);
            refusal = "malformed: " + e.Message;
            return false;
        }

        var from = sender;
        var own = state.Members.FirstOrDefault(m => m.Record.Id == from);
        if (own is not null)
        {
            ApplyAlive(own.Record);
        }

        if (from == _local.Id || !_members.ContainsKey(from))
        {
            Counters.Add(DropCounters.Reason.UnknownSender);
            refusal = $"unknown sender {from}";
            return false;
        }

        foreach (var m in state.Members)
        {
            Merge(m, from);
        }

        refusal = null;
        return true;
    }

    /// <summary>
    /// memberlist's mergeState: take the signed alive record, then the sender's belief. A remote
    /// "dead" becomes a local suspicion, so the member gets a chance to refute here too rather than
    /// being declared dead on one node's word. Members this node has never seen are not introduced
    /// only to be buried.
    /// </summary>
    private void Merge(MemberSnapshot m, string from)
    {
        var known = _members.ContainsKey(m.Record.Id);
        if (!known && m.State is MemberState.Dead or MemberState.Left)
        {
            return;
        }

        ApplyAlive(m.Record);
        switch (m.State)
        {
            case MemberState.Suspect:
            case MemberState.Dead:
                ApplySuspect(m.Record.Id, m.Incarnation, from);
                break;
            case MemberState.Left when m.Left is not null:
                ApplyLeft(m.Left);
                break;
        }
    }

    private FullState LocalState(bool join) =>
        new(join, [.. _members.Values.OrderBy(m => m.Id, StringComparer.Ordinal).Select(m => new MemberSnapshot(m.Record, m.State, m.Incarnation, m.Left))]);
}
