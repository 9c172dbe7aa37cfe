using KvStore.Core.Membership;
using Microsoft.Extensions.Logging;

namespace KvStore.Cluster.Membership;

public sealed partial class SwimMembership
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Membership started as {Node} at {Address} (development key: {DevelopmentKey})")]
    private static partial void LogStarted(ILogger logger, string node, string address, bool developmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined through {Seed}; {Members} members known")]
    private static partial void LogJoined(ILogger logger, string seed, int members);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No seed answered ({Seeds}); running alone and retrying in the background")]
    private static partial void LogJoinFailed(ILogger logger, string seeds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Join attempt {Attempt} failed; retrying later")]
    private static partial void LogJoinRetry(ILogger logger, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} joined at {Address}, incarnation {Incarnation}")]
    private static partial void LogMemberJoined(ILogger logger, string member, string address, ulong incarnation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member}: {From} -> {To} at incarnation {Incarnation}")]
    private static partial void LogStateChanged(ILogger logger, string member, MemberState from, MemberState to, ulong incarnation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refuted {Reason} about this node; now at incarnation {Incarnation}")]
    private static partial void LogRefuted(ILogger logger, ulong incarnation, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Leaving the cluster at incarnation {Incarnation}")]
    private static partial void LogLeaving(ILogger logger, ulong incarnation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reaped member {Member}")]
    private static partial void LogReaped(ILogger logger, string member);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Probe of {Member} failed ({Nacks} of {Expected} nacks)")]
    private static partial void LogProbeFailed(ILogger logger, string member, int nacks, int expected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused an alive record for {Member} at incarnation {Incarnation}: not signed by its key")]
    private static partial void LogForgedAlive(ILogger logger, string member, ulong incarnation);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a message ({Reason}) from {Sender}: {Detail}")]
    private static partial void LogDropped(ILogger logger, string reason, string sender, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push-pull with {Address} failed: {Reason}")]
    private static partial void LogPushPullFailed(ILogger logger, string address, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Served a push-pull for {Sender}")]
    private static partial void LogPushPullServed(ILogger logger, string sender);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sending to {Address} failed: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string address, string reason);
}
