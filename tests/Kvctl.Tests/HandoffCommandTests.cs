namespace KvStore.Kvctl.Tests;

/// <summary>cluster handoff and cluster leave against a fake admin port serving the contract's JSON.</summary>
public sealed class HandoffCommandTests
{
    private const string Running =
        """{"node":"n2","leaving":true,"enabled":true,"unfinished":1,"transfers":["""
        + """{"id":7,"target":"n4","state":"running","share":0.21,"segmentsDone":150,"segmentsTotal":600,"keysSent":1200,"keysRefused":0,"bytes":262144,"attempts":2,"error":null},"""
        + """{"id":3,"target":"n1","state":"done","share":0.1,"segmentsDone":40,"segmentsTotal":40,"keysSent":90,"keysRefused":0,"bytes":900,"attempts":1,"error":null}]}""";

    private const string Finished =
        """{"node":"n2","leaving":true,"enabled":true,"unfinished":0,"transfers":["""
        + """{"id":7,"target":"n4","state":"done","share":0.21,"segmentsDone":600,"segmentsTotal":600,"keysSent":4800,"keysRefused":0,"bytes":1048576,"attempts":2,"error":null}]}""";

    [Fact]
    public async Task Handoff_prints_each_transfer_with_a_progress_bar()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/handoff", Running);

        var run = await Kvctl.RunAsync("cluster", "handoff", "--admin", admin.Address);

        Assert.Equal(
            new KvctlRun(
                0,
                """
                n2 (leaving): 1 transfer unfinished
                ID  TARGET  STATE    PROGRESS                     SEGMENTS  KEYS  BYTES      ATTEMPTS  ERROR
                7   n4      running  [#####...............]  25%  150/600   1200  256.0 KiB  2         -
                3   n1      done     [####################] 100%  40/40     90    900 B      1         -

                """,
                ""),
            run);
    }

    [Fact]
    public async Task Handoff_watch_refreshes_until_no_transfer_is_unfinished()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/handoff", Running);
        var watching = Kvctl.RunAsync("cluster", "handoff", "--watch", "--interval", "0.1", "--admin", admin.Address);

        // Let it draw the running state at least once, then finish the transfer.
        using (var waited = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            waited.CancelAfter(TimeSpan.FromSeconds(30));
            while (admin.Requests.IsEmpty)
            {
                await Task.Delay(10, waited.Token);
            }
        }

        admin.Answer("/debug/handoff", Finished);
        var run = await watching.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);
        Assert.StartsWith("n2 (leaving): 1 transfer unfinished\n", run.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(
            """
            n2 (leaving): 0 transfers unfinished
            ID  TARGET  STATE  PROGRESS                     SEGMENTS  KEYS  BYTES    ATTEMPTS  ERROR
            7   n4      done   [####################] 100%  600/600   4800  1.0 MiB  2         -


            """,
            run.Stdout,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leave_posts_to_the_node_and_says_it_is_leaving()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/cluster/leave", """{"node":"n2","status":"leaving"}""", status: 202);

        var run = await Kvctl.RunAsync("cluster", "leave", "--admin", admin.Address);

        Assert.Equal(new KvctlRun(0, "n2 is leaving: it hands its ranges over, then stops\n", ""), run);
        Assert.Equal(["/cluster/leave"], admin.Requests);
    }

    [Fact]
    public async Task Handoff_from_a_node_without_it_is_an_error_naming_the_endpoint()
    {
        await using var admin = await FakeAdmin.StartAsync();

        var run = await Kvctl.RunAsync("cluster", "handoff", "--admin", admin.Address);

        Assert.Equal(new KvctlRun(1, "", $"error: admin endpoint {admin.Address} answered 404 NotFound to GET /debug/handoff\n"), run);
    }
}
