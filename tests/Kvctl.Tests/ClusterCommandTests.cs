using System.Text.Json;
using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>cluster members, ring and health against fake admin ports serving the contract's JSON.</summary>
public sealed class ClusterCommandTests
{
    private const string Members =
        """[{"id":"node10","address":"127.0.0.1:7088","admin":"127.0.0.1:7089","state":"dead","incarnation":2,"self":false},"""
        + """{"id":"node1","address":"127.0.0.1:7070","admin":"127.0.0.1:7071","state":"alive","incarnation":0,"self":true},"""
        + """{"id":"node2","address":"127.0.0.1:7072","admin":"127.0.0.1:7073","state":"suspect","incarnation":5,"self":false}]""";

    private const string Ring =
        """{"tokensPerNode":64,"replicas":3,"tokens":192,"nodes":["""
        + """{"id":"node2","tokens":64,"primaryOwnership":0.3301,"replicaOwnership":1.0},"""
        + """{"id":"node1","tokens":64,"primaryOwnership":0.3412,"replicaOwnership":1.0},"""
        + """{"id":"node3","tokens":64,"primaryOwnership":0.3287,"replicaOwnership":1.0}]}""";

    private const string Gossip = """{"dropped":{"unauthenticated":0,"malformed":0},"sent":12,"received":12}""";

    private const string RoutingTable =
        """{"node":"node1","actor":"node1@00ab","members":""" + Members + ""","ring":""" + Ring + ""","gossip":""" + Gossip + "}";

    private const string PreferenceList =
        """[{"id":"node2","address":"127.0.0.1:7072","state":"alive"},{"id":"node3","address":"127.0.0.1:7074","state":"suspect"},{"id":"node1","address":"127.0.0.1:7070","state":"alive"}]""";

    private const string RoutingTableForKey =
        """{"node":"node1","actor":"node1@00ab","members":""" + Members + ""","ring":""" + Ring
        + ""","preferenceList":""" + PreferenceList + ""","gossip":""" + Gossip + "}";

    [Fact]
    public async Task Members_prints_a_table_in_node_order_with_self_marked()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", RoutingTable);

        var run = await Kvctl.RunAsync("cluster", "members", "--admin", admin.Address);

        Assert.Equal(
            new KvctlRun(
                0,
                """
                ID            ADDRESS         ADMIN           STATE    INCARNATION
                node1 (self)  127.0.0.1:7070  127.0.0.1:7071  alive    0
                node2         127.0.0.1:7072  127.0.0.1:7073  suspect  5
                node10        127.0.0.1:7088  127.0.0.1:7089  dead     2

                """,
                ""),
            run);
    }

    [Fact]
    public async Task Members_json_is_the_servers_members_array()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", RoutingTable);

        var run = await Kvctl.RunAsync("cluster", "members", "--admin", admin.Address, "-o", "json");

        Assert.Equal(new KvctlRun(0, Members + "\n", ""), run);
    }

    [Fact]
    public async Task Members_of_a_node_from_before_clustering_show_no_admin_address()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", """{"node":"n","actor":"n@01","members":[{"id":"n","address":"127.0.0.1:7070","state":"alive","incarnation":0,"self":true}]}""");

        var run = await Kvctl.RunAsync("cluster", "members", "--admin", admin.Address);

        Assert.Equal(
            new KvctlRun(
                0,
                """
                ID        ADDRESS         ADMIN  STATE  INCARNATION
                n (self)  127.0.0.1:7070  -      alive  0

                """,
                ""),
            run);
    }

    [Fact]
    public async Task Ring_prints_each_nodes_share()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", RoutingTable);

        var run = await Kvctl.RunAsync("cluster", "ring", "--admin", admin.Address);

        Assert.Equal(
            new KvctlRun(
                0,
                """
                NODE   TOKENS  PRIMARY %  REPLICA %
                node1  64      34.1       100.0
                node2  64      33.0       100.0
                node3  64      32.9       100.0

                """,
                ""),
            run);
    }

    [Fact]
    public async Task Ring_with_a_key_adds_its_preference_list_in_the_servers_order()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable?key=user%3A42", RoutingTableForKey);

        var run = await Kvctl.RunAsync("cluster", "ring", "--key", "user:42", "--admin", admin.Address);

        Assert.Equal(
            new KvctlRun(
                0,
                """
                NODE   TOKENS  PRIMARY %  REPLICA %
                node1  64      34.1       100.0
                node2  64      33.0       100.0
                node3  64      32.9       100.0

                preference list for user:42
                #  NODE   ADDRESS         STATE
                1  node2  127.0.0.1:7072  alive
                2  node3  127.0.0.1:7074  suspect
                3  node1  127.0.0.1:7070  alive

                """,
                ""),
            run);
    }

    [Fact]
    public async Task Ring_json_is_the_servers_answer()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable?key=user%3A42", RoutingTableForKey);

        var run = await Kvctl.RunAsync("cluster", "ring", "--key", "user:42", "--admin", admin.Address, "-o", "json");

        Assert.Equal(new KvctlRun(0, RoutingTableForKey + "\n", ""), run);
    }

    [Fact]
    public async Task Ring_of_a_node_without_one_exits_1()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", """{"node":"n","actor":"n@01","members":[]}""");

        var run = await Kvctl.RunAsync("cluster", "ring", "--admin", admin.Address);

        Assert.Equal(new KvctlRun(1, "", $"error: admin endpoint {admin.Address} reports no ring; is the node older than clustering?\n"), run);
    }

    [Fact]
    public async Task A_routing_table_that_breaks_the_contract_exits_1()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", """{"node":"n","members":[{"id":"n"}]}""");

        var run = await Kvctl.RunAsync("cluster", "members", "--admin", admin.Address);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: admin endpoint {admin.Address} sent a routing table kvctl does not understand: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_status_from_the_admin_endpoint_exits_1()
    {
        await using var admin = await FakeAdmin.StartAsync();

        var run = await Kvctl.RunAsync("cluster", "members", "--admin", admin.Address);

        Assert.Equal(new KvctlRun(1, "", $"error: admin endpoint {admin.Address} answered 404 NotFound to GET /debug/routingtable\n"), run);
    }

    [Theory]
    [InlineData("members")]
    [InlineData("ring")]
    [InlineData("health")]
    public async Task Unreachable_admin_endpoint_exits_2_naming_it(string command)
    {
        using var closed = new ClosedPort();

        var run = await Kvctl.RunAsync("cluster", command, "--admin", closed.Endpoint);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith($"error: cannot reach admin endpoint {closed.Endpoint}: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Bad_admin_address_exits_1()
    {
        var run = await Kvctl.RunAsync("cluster", "members", "--admin", "nohost");

        Assert.Equal(new KvctlRun(1, "", "error: Invalid admin address 'nohost': expected HOST:PORT or an http:// URI.\n"), run);
    }

    [Fact]
    public async Task KVCTL_ADMIN_is_used_when_no_admin_is_given()
    {
        await using var admin = await FakeAdmin.StartAsync();
        admin.Answer("/debug/routingtable", RoutingTable);
        var saved = Environment.GetEnvironmentVariable("KVCTL_ADMIN");
        try
        {
            Environment.SetEnvironmentVariable("KVCTL_ADMIN", admin.Address);

            var run = await Kvctl.RunAsync("cluster", "members", "-o", "json");

            Assert.Equal(new KvctlRun(0, Members + "\n", ""), run);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KVCTL_ADMIN", saved);
        }
    }

    [Fact]
    public async Task Health_exits_0_when_every_alive_member_serves()
    {
        await using var self = await FakeAdmin.StartAsync();
        await using var other = await FakeAdmin.StartAsync();
        using var closed = new ClosedPort();
        self.Answer("/healthz", """{"status":"serving","node":"node1"}""");
        other.Answer("/healthz", """{"status":"serving","node":"node2"}""");
        self.Answer("/debug/routingtable", HealthTable(self.Address, other.Address, "alive", closed.Endpoint, "dead"));

        var run = await Kvctl.RunAsync("cluster", "health", "--admin", self.Address);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Stderr);
        var rows = Rows(run);
        Assert.Equal(["ID", "STATE", "HEALTH", "LATENCY"], rows[0]);
        AssertServing(rows[1], "node1", "alive");
        AssertServing(rows[2], "node2", "alive");
        Assert.Equal(["node3", "dead", "unreachable", "-"], rows[3]);
        Assert.Equal(4, rows.Length);
    }

    [Fact]
    public async Task Health_exits_1_when_an_alive_member_is_unreachable()
    {
        await using var self = await FakeAdmin.StartAsync();
        await using var other = await FakeAdmin.StartAsync();
        using var closed = new ClosedPort();
        self.Answer("/healthz", """{"status":"serving","node":"node1"}""");
        other.Answer("/healthz", """{"status":"serving","node":"node2"}""");
        self.Answer("/debug/routingtable", HealthTable(self.Address, other.Address, "alive", closed.Endpoint, "alive"));

        var run = await Kvctl.RunAsync("cluster", "health", "--admin", self.Address);

        Assert.Equal(1, run.ExitCode);
        var rows = Rows(run);
        AssertServing(rows[1], "node1", "alive");
        AssertServing(rows[2], "node2", "alive");
        Assert.Equal(["node3", "alive", "unreachable", "-"], rows[3]);
        Assert.StartsWith("error: alive but not serving: node3 (unreachable: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_exits_1_when_an_alive_member_is_not_serving()
    {
        await using var self = await FakeAdmin.StartAsync();
        await using var other = await FakeAdmin.StartAsync();
        using var closed = new ClosedPort();
        self.Answer("/healthz", """{"status":"serving","node":"node1"}""");
        other.Answer("/healthz", """{"status":"not_serving","node":"node2"}""", status: 503);
        self.Answer("/debug/routingtable", HealthTable(self.Address, other.Address, "alive", closed.Endpoint, "dead"));

        var run = await Kvctl.RunAsync("cluster", "health", "--admin", self.Address, "-o", "json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: alive but not serving: node2 (not_serving)\n", run.Stderr);
        using var doc = JsonDocument.Parse(run.Stdout);
        var members = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["node1", "node2", "node3"], members.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(["serving", "not_serving", "unreachable"], members.Select(m => m.GetProperty("health").GetString()));
        Assert.Equal(["alive", "alive", "dead"], members.Select(m => m.GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Number, members[1].GetProperty("latencyMs").ValueKind);
        Assert.Equal(JsonValueKind.Null, members[2].GetProperty("latencyMs").ValueKind);
    }

    [Fact]
    public async Task Health_asks_every_member_at_its_own_admin_address()
    {
        await using var self = await FakeAdmin.StartAsync();
        await using var other = await FakeAdmin.StartAsync();
        using var closed = new ClosedPort();
        self.Answer("/healthz", """{"status":"serving","node":"node1"}""");
        other.Answer("/healthz", """{"status":"serving","node":"node2"}""");
        self.Answer("/debug/routingtable", HealthTable(self.Address, other.Address, "alive", closed.Endpoint, "left"));

        await Kvctl.RunAsync("cluster", "health", "--admin", self.Address);

        Assert.Equal(["/debug/routingtable", "/healthz"], self.Requests);
        Assert.Equal(["/healthz"], other.Requests);
    }

    /// <summary>node1 is the asked node; node2's state is given; node3 sits on a closed port in the given state.</summary>
    private static string HealthTable(string selfAdmin, string otherAdmin, string otherState, string closedAdmin, string closedState) =>
        $$"""
        {"node":"node1","actor":"node1@00ab","members":[
          {"id":"node1","address":"127.0.0.1:1","admin":"{{selfAdmin}}","state":"alive","incarnation":0,"self":true},
          {"id":"node2","address":"127.0.0.1:2","admin":"{{otherAdmin}}","state":"{{otherState}}","incarnation":0,"self":false},
          {"id":"node3","address":"127.0.0.1:3","admin":"{{closedAdmin}}","state":"{{closedState}}","incarnation":1,"self":false}]}
        """;

    private static string[][] Rows(KvctlRun run) =>
        [.. run.Lines.Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    private static void AssertServing(string[] row, string id, string state)
    {
        Assert.Equal(5, row.Length);
        Assert.Equal([id, state, "serving"], row[..3]);
        Assert.True(int.TryParse(row[3], out var ms) && ms >= 0, $"latency '{row[3]}'");
        Assert.Equal("ms", row[4]);
    }
}
