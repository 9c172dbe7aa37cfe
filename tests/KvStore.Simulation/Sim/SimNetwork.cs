using KvStore.Cluster.Replication;

namespace KvStore.Simulation.Sim;

/// <summary>
/// The wire between simulated nodes. Every request and every answer is a message delivered by a
/// loop event after a seeded delay (so messages overtake each other), and may be lost; requests
/// that are safe to repeat (merges, reads, tree listings) may be delivered twice. A partition
/// drops messages one way or both ways: the caller hears nothing and its deadline ends the call.
/// A node that is down refuses connections: the caller learns at once that nothing was delivered.
/// </summary>
internal sealed class SimNetwork(SimLoop loop, Random random)
{
    private readonly HashSet<(string From, string To)> _cut = [];

    /// <summary>Chance that one message is lost.</summary>
    public double Loss { get; set; }

    /// <summary>Chance that a repeatable request is delivered a second time.</summary>
    public double Duplication { get; set; }

    /// <summary>One-way delay: uniform between the two bounds.</summary>
    public TimeSpan MinDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Calls whose caller has not heard back yet.</summary>
    public int InFlight { get; private set; }

    public long Delivered { get; private set; }

    public long Dropped { get; private set; }

    /// <summary>Messages from <paramref name="from"/> to <paramref name="to"/> are lost until <see cref="Mend"/>.</summary>
    public void Cut(string from, string to) => _cut.Add((from, to));

    public void Mend(string from, string to) => _cut.Remove((from, to));

    public void MendAll() => _cut.Clear();

    public bool IsCut(string from, string to) => _cut.Contains((from, to));

    /// <summary>
    /// Sends a request from <paramref name="caller"/> to the current incarnation of
    /// <paramref name="to"/> and runs <paramref name="handle"/> there; the task ends with its answer,
    /// its exception, or <see cref="PeerUnreachableException"/>.
    /// </summary>
    public Task<T> Call<T>(SimNode caller, string to, string what, bool repeatable, Func<SimNode, Task<T>> handle, Func<SimNode?> target, CancellationToken cancellationToken)
    {
        loop.Trace($"call {caller.Id}->{to} {what}");
        if (!caller.Alive)
        {
            return Task.FromException<T>(new PeerUnreachableException(to, "the calling node is down", notDelivered: true));
        }

        var answer = new TaskCompletionSource<T>();
        InFlight++;
        _ = TrackAsync(answer.Task, cancellationToken.Register(() => answer.TrySetException(new PeerUnreachableException(to, "no answer in time"))));
        var copies = repeatable && random.NextDouble() < Duplication ? 2 : 1;
        for (var copy = 0; copy < copies; copy++)
        {
            Send(caller.Id, to, () =>
            {
                if (target() is not { Alive: true } node)
                {
                    // Connection refused: certainly not delivered, and the caller learns it one trip later.
                    Send(to, caller.Id, () => answer.TrySetException(new PeerUnreachableException(to, "connection refused", notDelivered: true)), always: true);
                    return;
                }

                loop.Trace($"run {to} {what}");
                _ = ServeAsync(node, caller.Id, handle, answer);
            });
        }

        return answer.Task;
    }

    /// <summary>Counts the call in flight until its caller hears back (awaits resume on the loop, never on the thread pool).</summary>
    private async Task TrackAsync(Task answer, CancellationTokenRegistration deadline)
    {
        try
        {
            await answer;
        }
        catch (Exception)
        {
            // The caller sees the failure; here it only ends the call.
        }
        finally
        {
            InFlight--;
            deadline.Dispose();
        }
    }

    /// <summary>Runs the request on the target and sends its answer back, unless the target died meanwhile.</summary>
    private async Task ServeAsync<T>(SimNode node, string caller, Func<SimNode, Task<T>> handle, TaskCompletionSource<T> answer)
    {
        Exception? failure = null;
        var result = default(T);
        try
        {
            result = await handle(node);
        }
        catch (Exception e)
        {
            failure = Answer(node.Id, e);
        }

        Send(node.Id, caller, () =>
        {
            if (!node.Alive)
            {
                return;
            }

            if (failure is null)
            {
                answer.TrySetResult(result!);
            }
            else
            {
                answer.TrySetException(failure);
            }
        });
    }

    /// <summary>What the caller sees of the target's failure, as the gRPC transport maps it.</summary>
    private static Exception Answer(string to, Exception e) => e switch
    {
        OverloadedException => new PeerUnreachableException(to, e.Message, notDelivered: true),
        OperationCanceledException or ObjectDisposedException => new PeerUnreachableException(to, "the call was cancelled or timed out"),
        _ => e,
    };

    /// <summary>Delivers one message after a delay, unless it is lost or the link is cut (a refusal is never lost: it is the absence of a connection).</summary>
    private void Send(string from, string to, Action deliver, bool always = false)
    {
        if (!always && (IsCut(from, to) || random.NextDouble() < Loss))
        {
            Dropped++;
            loop.Trace($"drop {from}->{to}");
            return;
        }

        var delay = MinDelay + ((MaxDelay - MinDelay) * random.NextDouble());
        loop.At(delay, () =>
        {
            // A link cut while the message was on its way loses it too.
            if (!always && IsCut(from, to))
            {
                Dropped++;
                return;
            }

            Delivered++;
            deliver();
        });
    }
}
