using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Cluster.Security;
using KvStore.Cluster.Tombstones;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Serialization;
using KvStore.Server.Peer;
using KvStore.Core.Clock;
using KvStore.Server.Admin;
using KvStore.Server.Configuration;
using KvStore.Server.Grpc;
using KvStore.Server.Metrics;
using KvStore.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace KvStore.Server;

/// <summary>Builds and runs one node: configuration, storage, gRPC on the listen port, admin HTTP on the admin port.</summary>
public static partial class ServerHost
{
    /// <summary>Exit code for bad flags or configuration.</summary>
    public const int ConfigurationError = 2;

    /// <summary>Exit code when the data directory cannot be opened.</summary>
    public const int StorageError = 3;

    /// <summary>Exit code when a listen or admin address cannot be bound.</summary>
    public const int ListenError = 4;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(ServerConfiguration.Help());
            return 0;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // appsettings.json ships beside the binary; the data directory is relative to the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        try
        {
            builder.Configuration.AddKvStoreSources(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"kvstore: {e.Message}\n{ServerConfiguration.Usage}");
            return ConfigurationError;
        }

        NodeOptions node;
        StorageOptions storage;
        LimitsOptions limits;
        ReplicaOptions replica;
        ReplicationOptions replication;
        MembershipOptions membership;
        AntiEntropyOptions antiEntropy;
        HandoffOptions handoff;
        TombstoneOptions tombstones;
        try
        {
            node = Bind<NodeOptions>(builder.Configuration, "Node");
            storage = Bind<StorageOptions>(builder.Configuration, "Storage");
            limits = Bind<LimitsOptions>(builder.Configuration, "Limits");
            replica = Bind<ReplicaOptions>(builder.Configuration, "Replica");
            replication = Bind<ReplicationOptions>(builder.Configuration, "Replication");
            membership = Bind<MembershipOptions>(builder.Configuration, MembershipOptions.Section);
            antiEntropy = Bind<AntiEntropyOptions>(builder.Configuration, AntiEntropyOptions.Section);
            handoff = Bind<HandoffOptions>(builder.Configuration, HandoffOptions.Section);
            tombstones = Bind<TombstoneOptions>(builder.Configuration, TombstoneOptions.Section);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"kvstore: invalid configuration: {e.Message}");
            return ConfigurationError;
        }

        var errors = node.Validate().Concat(storage.Validate()).Concat(limits.Validate()).Concat(replica.Validate())
            .Concat(replication.Validate()).Concat(membership.Validate()).Concat(antiEntropy.Validate()).Concat(handoff.Validate()).Concat(tombstones.Validate(membership.ReapAfter)).ToList();
        if (storage.MaxObjectBytes < (long)limits.MaxValueBytes + 65_536)
        {
            errors.Add($"Storage:MaxObjectBytes ({storage.MaxObjectBytes}) must exceed Limits:MaxValueBytes ({limits.MaxValueBytes}) by at least 65536, or a maximal value could never be stored");
        }

        if (errors.Count > 0)
        {
            await Console.Error.WriteLineAsync("kvstore: invalid configuration:\n  " + string.Join("\n  ", errors));
            return ConfigurationError;
        }

        using var loggerFactory = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddSimpleConsole());
        var startupLog = loggerFactory.CreateLogger("KvStore.Server");
        RocksObjectStore store;
        var gate = new ResyncGate();
        try
        {
            if (tombstones.Enabled && tombstones.ResyncWhenAway &&
                RocksObjectStore.DiscardIfAwayLongerThan(storage, tombstones.Horizon, TimeProvider.System.GetUtcNow(), loggerFactory.CreateLogger<RocksObjectStore>()) is not null)
            {
                gate.Begin();
            }

            store = RocksObjectStore.Open(storage, string.IsNullOrEmpty(node.NodeId) ? null : node.NodeId, node.DefaultNodeId(), loggerFactory.CreateLogger<RocksObjectStore>());

            // Set aside at this start, or at an earlier one that stopped before deciding about it.
            if (tombstones.Enabled && store.AsidePendingSince is not null)
            {
                gate.Begin();
            }
        }
        catch (StorageException e)
        {
            await Console.Error.WriteLineAsync($"kvstore: {e.Message}");
            return StorageError;
        }

        // The store outlives the web host: it is closed only after the host has drained in-flight calls.
        await using (store)
        {
            NodeIdentity identity;
            UdpDatagramTransport udp;
            try
            {
                identity = LoadIdentity(store);
                udp = new UdpDatagramTransport(node.Listen, membership.MaxPacketBytes, loggerFactory.CreateLogger<UdpDatagramTransport>());
            }
            catch (System.Net.Sockets.SocketException e)
            {
                await Console.Error.WriteLineAsync($"kvstore: cannot listen for gossip on udp {node.Listen}: {e.Message}");
                return ListenError;
            }

            if (membership.UsesDevelopmentKey)
            {
                LogDevelopmentKey(startupLog);
            }

            var app = Build(builder, new ClusterSettings(node, storage, limits, replica, replication, membership, antiEntropy, handoff, tombstones, gate), store, identity, udp);
            LogEffectiveOptions(startupLog, store.Actor.ToString(), Path.GetFullPath(storage.DataDir), node.Listen, node.Admin,
                node.Seeds, storage.Sync, limits.MaxKeyBytes, limits.MaxValueBytes, limits.MaxMessageBytes, limits.MaxBatchOperations, replica.MaxSetElements);
            LogClusterOptions(startupLog, replication.ReplicationFactor, replication.ReadQuorum, replication.WriteQuorum, replication.TokensPerNode,
                replication.PeerTimeout, membership.ProbeInterval, membership.ProbeTimeout, membership.IndirectChecks, membership.SuspicionMultiplier,
                membership.ReapAfter, membership.MaxMembers, membership.KeyRing().Count);
            LogAntiEntropyOptions(startupLog, antiEntropy.Enabled, antiEntropy.Interval, antiEntropy.Jitter, antiEntropy.MaxConcurrentExchanges,
                antiEntropy.MaxBytesPerSecond, antiEntropy.MaxKeysPerExchange);
            LogHandoffOptions(startupLog, handoff.Enabled, handoff.MaxBytesPerSecond, handoff.MaxConcurrentTransfers, handoff.RetryDelay, handoff.LeaveTimeout);
            LogTombstoneOptions(startupLog, tombstones.Enabled, tombstones.Interval, tombstones.KeysPerPass, tombstones.Grace, tombstones.Horizon, tombstones.ResyncWhenAway, tombstones.AwayWaitForMembers, tombstones.RestoreKeysPerSecond);
            try
            {
                await app.RunAsync();
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"kvstore: cannot listen: {e.Message}");
                return ListenError;
            }
        }

        return 0;
    }

    /// <summary>The node's identity key, kept in the data directory so its alive claims stay verifiable across restarts.</summary>
    private static NodeIdentity LoadIdentity(RocksObjectStore store)
    {
        const string name = "node-identity";
        if (store.ReadMeta(name) is { } pkcs8)
        {
            return NodeIdentity.FromPkcs8(pkcs8);
        }

        var identity = NodeIdentity.Create();
        store.WriteMeta(name, identity.ExportPkcs8());
        return identity;
    }

    private sealed record ClusterSettings(
        NodeOptions Node, StorageOptions Storage, LimitsOptions Limits, ReplicaOptions Replica, ReplicationOptions Replication, MembershipOptions Membership,
        AntiEntropyOptions AntiEntropy, HandoffOptions Handoff, TombstoneOptions Tombstones, ResyncGate Gate);

    private static WebApplication Build(WebApplicationBuilder builder, ClusterSettings settings, RocksObjectStore store, NodeIdentity identity, UdpDatagramTransport udp)
    {
        var (node, storage, limits, replica, replication, membership, antiEntropy, handoff, tombstones, gate) = settings;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;

            // One client connection commonly carries all of a process's calls, and a peer's batched
            // stream carries all of its replication: Kestrel's defaults (100 streams, 1 MiB window)
            // would queue callers behind the 101st call and stall a peer stream on the window.
            k.Limits.Http2.MaxStreamsPerConnection = 1024;
            k.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            k.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            k.Listen(node.ListenEndPoint, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(node.AdminEndPoint, o => o.Protocols = HttpProtocols.Http1);
        });
        // A leaving node may spend up to Handoff:LeaveTimeout handing its ranges over before it drains.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15) + handoff.LeaveTimeout);

        var services = builder.Services;
        services.AddSingleton(Options.Create(node));
        services.AddSingleton(Options.Create(storage));
        services.AddSingleton(Options.Create(limits));
        services.AddSingleton(Options.Create(replica));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IObjectStore>(store);
        services.AddSingleton<IHintStore>(store);
        services.AddSingleton(udp);
        services.AddSingleton(Options.Create(replication));
        services.AddSingleton(Options.Create(membership));
        services.AddSingleton<ClusterCounters>();
        services.AddSingleton<PeerCounters>();
        services.AddSingleton(sp => new MessageAuthenticator(
            membership.KeyRing(), sp.GetRequiredService<TimeProvider>(), membership.ReplayWindow, PeerReplayCacheCapacity));
        services.AddSingleton(sp => new GrpcPeerTransport(
            sp.GetRequiredService<MessageAuthenticator>(),
            () => store.Actor.Node,
            sp.GetRequiredService<IOptions<ReplicationOptions>>(),
            membership.MaxMembers,
            PeerLimits.Objects(replica, storage),
            PeerLimits.MaxMessageBytes(storage)));
        services.AddSingleton<IPeerTransport>(sp => sp.GetRequiredService<GrpcPeerTransport>());
        services.AddSingleton(sp => new SwimMembership(
            membership,
            identity,
            new LocalMember(store.Actor.Node, node.Listen, node.Admin),
            udp,
            sp.GetRequiredService<GrpcPeerTransport>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<SwimMembership>(),
            new Random()));
        services.AddSingleton<IMembership>(sp => sp.GetRequiredService<SwimMembership>());
        services.AddSingleton<Router>();
        services.AddSingleton<HintedHandoff>();
        services.AddSingleton<PeerHandler>();
        services.AddSingleton<PeerStreamsClosing>();
        services.AddHostedService<ClusterLifecycle>();
        services.AddSingleton(Options.Create(antiEntropy));
        services.AddSingleton<IMerkleSource>(store);
        services.AddSingleton<IAntiEntropyTransport>(sp => sp.GetRequiredService<GrpcPeerTransport>());
        services.AddSingleton<AntiEntropyCounters>();
        services.AddSingleton<AntiEntropyHandler>();
        services.AddSingleton<AntiEntropyExchange>();
        services.AddSingleton<AntiEntropyService>();
        services.AddHostedService<AntiEntropyLifecycle>();
        services.AddSingleton(Options.Create(handoff));
        services.AddSingleton<HandoffService>();
        services.AddSingleton(Options.Create(tombstones));
        services.AddSingleton(store);
        services.AddSingleton<ITombstoneTransport>(sp => sp.GetRequiredService<GrpcPeerTransport>());
        services.AddSingleton<TombstoneCounters>();
        services.AddSingleton(gate);
        services.AddSingleton<ICollectionLog>(store);
        services.AddSingleton<ICollectionTransport>(sp => sp.GetRequiredService<GrpcPeerTransport>());
        services.AddSingleton(sp => new AwayRestore(
            store.AsidePendingSince,
            store.AsidePendingRingMembers,
            RocksObjectStore.AsideDirectory(storage),
            () => RocksObjectStore.OpenAside(storage),
            sp.GetRequiredService<Router>(),
            sp.GetRequiredService<ICollectionTransport>(),
            sp.GetRequiredService<LocalReplica>(),
            store,
            AwayRestoreOptions.From(tombstones),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<AwayRestore>()));
        services.AddSingleton<TombstoneHandler>();
        services.AddSingleton<TombstoneCollector>();
        services.AddHostedService<TombstoneLifecycle>();
        services.AddSingleton(sp => new HybridLogicalClock(sp.GetRequiredService<TimeProvider>(), replica.MaxClockDrift));
        services.AddSingleton<LocalReplica>();
        services.AddSingleton<Coordinator>();
        services.AddSingleton<RequestValidator>();
        services.AddSingleton<BatchSlots>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ErrorMappingInterceptor>();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = limits.MaxMessageBytes;
            o.MaxSendMessageSize = null;
            o.Interceptors.Add<ErrorMappingInterceptor>();
        }).AddServiceOptions<PeerGrpcService>(o =>
        {
            // Peers pass on whole stored objects, which may be larger than any client request.
            o.MaxReceiveMessageSize = PeerLimits.MaxMessageBytes(storage);
            o.MaxSendMessageSize = PeerLimits.MaxMessageBytes(storage);
        });
        services.AddGrpcHealthChecks().AddCheck("storage", () =>
            store.IsHealthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("storage is closed or its writer stopped"));

        var app = builder.Build();
        app.UseRouting();
        app.Use(ListenerPort.Enforce);
        var grpcPort = node.ListenEndPoint.Port;
        app.MapGrpcService<KvGrpcService>().OnPort(grpcPort);
        app.MapGrpcService<PeerGrpcService>().OnPort(grpcPort);
        app.MapGrpcHealthChecksService().OnPort(grpcPort);
        app.MapAdminEndpoints(node.AdminEndPoint.Port);

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KvStore.Server");
        app.Lifetime.ApplicationStarted.Register(() => LogReady(log, store.Actor.Node, node.Listen, node.Admin));
        app.Lifetime.ApplicationStopping.Register(() => LogDraining(log));
        return app;
    }

    private static T Bind<T>(IConfiguration configuration, string section) where T : new() =>
        configuration.GetSection(section).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();

    /// <summary>Nonces of peer messages remembered for replay detection within the replay window.</summary>
    private const int PeerReplayCacheCapacity = 1 << 20;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No cluster key configured (--cluster-key or KVSTORE_CLUSTER_KEY): gossip and peer calls use the public development key, so anyone who can reach this node can join its cluster")]
    private static partial void LogDevelopmentKey(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "KvStore node {Node} ready: grpc {Grpc}, admin {Admin}")]
    private static partial void LogReady(ILogger logger, string node, string grpc, string admin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: draining in-flight calls, then closing storage")]
    private static partial void LogDraining(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster options: N {N}, R {R}, W {W}, {Tokens} tokens per node, peer timeout {PeerTimeout}; probe every {Probe} (timeout {ProbeTimeout}, {Indirect} indirect), suspicion multiplier {Suspicion}, reap after {Reap}, at most {MaxMembers} members, {Keys} cluster keys")]
    private static partial void LogClusterOptions(ILogger logger, int n, int r, int w, int tokens, TimeSpan peerTimeout, TimeSpan probe, TimeSpan probeTimeout, int indirect, int suspicion, TimeSpan reap, int maxMembers, int keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "Anti-entropy options: enabled {Enabled}, every {Interval} (jitter {Jitter}), {Concurrent} exchanges at once, at most {BytesPerSecond} B/s (0: no bound), {MaxKeys} keys per exchange")]
    private static partial void LogAntiEntropyOptions(ILogger logger, bool enabled, TimeSpan interval, double jitter, int concurrent, long bytesPerSecond, int maxKeys);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handoff options: enabled {Enabled}, at most {BytesPerSecond} B/s (0: no bound), {Concurrent} transfers at once, retry after {Retry}, leave waits at most {LeaveTimeout}")]
    private static partial void LogHandoffOptions(ILogger logger, bool enabled, long bytesPerSecond, int concurrent, TimeSpan retry, TimeSpan leaveTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tombstone options: enabled {Enabled}, every {Interval}, {KeysPerPass} keys per pass, grace {Grace}, horizon {Horizon} (set data aside when away longer: {Resync}; wait up to {AwayWait} for the former ring members, restore {RestoreRate} keys/s)")]
    private static partial void LogTombstoneOptions(ILogger logger, bool enabled, TimeSpan interval, int keysPerPass, TimeSpan grace, TimeSpan horizon, bool resync, TimeSpan awayWait, int restoreRate);

    [LoggerMessage(Level = LogLevel.Information, Message = "Effective options: actor {Actor}, data {DataDir}, listen {Listen}, admin {Admin}, seeds [{Seeds}], sync {Sync}, max key {MaxKey} B, max value {MaxValue} B, max message {MaxMessage} B, max batch {MaxBatch} operations, max set elements {MaxSet}")]
    private static partial void LogEffectiveOptions(ILogger logger, string actor, string dataDir, string listen, string admin, string seeds, bool sync, int maxKey, int maxValue, int maxMessage, int maxBatch, int maxSet);
}
