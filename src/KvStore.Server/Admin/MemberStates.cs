using KvStore.Core.Membership;

namespace KvStore.Server.Admin;

/// <summary>The admin views' names for member states: exactly alive, suspect, dead, left.</summary>
internal static class MemberStates
{
    public static string Name(MemberState state) => state switch
    {
        MemberState.Alive => "alive",
        MemberState.Suspect => "suspect",
        MemberState.Dead => "dead",
        MemberState.Left => "left",
        _ => "unknown",
    };
}
