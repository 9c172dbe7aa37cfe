namespace KvStore.Core.Causality;

/// <summary>How two version vectors relate.</summary>
public enum Ordering
{
    Equal = 0,
    Before = 1,
    After = 2,
    Concurrent = 3,
}
